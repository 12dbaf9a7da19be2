package snapshot

import "log/slog"

// Flat reports whether r is a flat record: its attributes are all of
// kinds whose values share nothing the caller can change and run none of
// the caller's code when kept (strings, numbers, bools, durations and
// times). For a flat record it returns the bytes of text a snapshot
// copies (message, keys and strings) and the number of attributes past
// those a slog.Record stores inline. A flat record can be kept with
// TakeFlat into memory the caller provides.
func Flat(r *slog.Record) (text, back int, ok bool) {
	text, ok = len(r.Message), true
	r.Attrs(func(a slog.Attr) bool {
		switch a.Value.Kind() {
		case slog.KindString:
			text += len(a.Key) + len(a.Value.String())
		case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool,
			slog.KindDuration, slog.KindTime:
			text += len(a.Key)
		default:
			ok = false
		}
		return ok
	})
	if !ok {
		return 0, 0, false
	}
	return text, max(r.NumAttrs()-inlineAttrs, 0), true
}

// TakeFlat makes k a snapshot of r, a flat record (see Flat), in place:
// its text is copied into block (of at least
// Flat's text bytes) and its attributes past the inline ones into back (of
// exactly Flat's back length). The snapshot holds no memory but text and
// back: it is valid as long as nobody writes to them.
func (k *Kept) TakeFlat(r *slog.Record, block []byte, back []slog.Attr) {
	t := &text{b: block[:0]}
	k.Time, k.Level, k.PC = r.Time, r.Level, r.PC
	k.Message = t.copy(r.Message)
	k.nFront = 0
	nBack := 0
	r.Attrs(func(a slog.Attr) bool {
		a.Key = t.copy(a.Key)
		if a.Value.Kind() == slog.KindString {
			a.Value = slog.StringValue(t.copy(a.Value.String()))
		}
		if k.nFront < inlineAttrs {
			k.front[k.nFront] = a
			k.nFront++
			return true
		}
		back[nBack] = a
		nBack++
		return true
	})
	clear(k.front[k.nFront:])
	k.setBack(back[:nBack])
}
