package redact

import (
	"context"
	"log/slog"
	"slices"

	"github.com/slogstack/slogstack/internal/fuse"
)

// Handler is a slog.Handler that masks secrets in every record, and in the
// attributes bound with WithAttrs, before passing them to the next handler.
//
// A record of scalar values (strings, numbers, booleans, times, durations,
// plain errors, byte slices) in which nothing is masked is passed on as is,
// without allocating. Otherwise the next handler gets a new record with the
// same time, level and PC, the masked message and the attributes with
// masked values, in their original order. In front of the module's
// handler.JSONHandler, no record is built: each attribute is masked and
// written by that handler's encoder in one walk over the record, with
// exactly the bytes and counts of the record the general path would pass
// on. A structured value (a struct,
// pointer, map, slice, or a value with methods such as String or
// MarshalText) is always replaced by its masked JSON, which every sink
// writes: JSON sinks as that JSON (byte for byte what slog.JSONHandler
// writes for the original when nothing is masked), text sinks as the same
// text, so that no sink writes a form redaction did not read. LogValuer values are resolved once here
// (a record carrying one is always rebuilt, or encoded, with the resolved
// value), so the next handler sees exactly what was checked.
//
// Attributes bound with WithAttrs are masked once, when bound. A group
// opened with WithGroup whose name matches a key rule (WithGroup("auth"))
// masks every value logged inside it, as slog.Group("auth", ...) on the
// record would; the module's own keys (correlation_id, _sampled, ...) are
// never masked, there or anywhere. Handler is safe for concurrent use.
type Handler struct {
	next slog.Handler
	// enc is the encoder of next when next is the module's JSON handler:
	// the record is then masked and encoded in one walk (see encode).
	enc     fuse.Encoder
	red     *Redactor
	maskAll bool // inside a WithGroup whose name is a secret key
}

// NewHandler returns a Handler that masks with the rules of opts (see
// NewRedactor) and passes records to next. It panics when next is nil, and
// when opts.DisablePatterns names an unknown pattern. Pass DefaultOptions()
// for the recommended rules. To compose with slogmulti.Pipe, wrap it in a
// closure: func(next slog.Handler) slog.Handler { return redact.NewHandler(next, opts) }.
func NewHandler(next slog.Handler, opts Options) *Handler {
	if next == nil {
		panic("redact: NewHandler: nil next handler")
	}
	return newHandler(next, NewRedactor(opts))
}

// newHandler returns a Handler that masks with red and passes records to
// next.
func newHandler(next slog.Handler, red *Redactor) *Handler {
	return derived(next, red, false)
}

// derived returns a Handler over next with red, masking every value when
// maskAll is set, that drives next's encoder when it has one.
func derived(next slog.Handler, red *Redactor, maskAll bool) *Handler {
	enc, _ := fuse.EncoderOf(next)
	return &Handler{next: next, enc: enc, red: red, maskAll: maskAll}
}

// Redactor returns the Redactor the handler masks with, to share its rules
// and counters with other code, such as the body capture of
// httpctx.BodyOptions.Redact (handler.Redactor().RedactBody).
func (h *Handler) Redactor() *Redactor { return h.red }

// Stats returns the handler's counters, shared with every handler derived
// from it and with other users of its Redactor.
func (h *Handler) Stats() Stats { return h.red.Stats() }

// Enabled reports whether the next handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// rebuildInline is the number of attributes a rebuilt record collects on
// the stack before adding them to the new record in one call.
const rebuildInline = 16

// Handle masks r and passes it to the next handler, returning its error.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	return h.handle(ctx, r, nil)
}

// HandleTail masks r and the attributes of tail, which follow r's own, and
// passes them to the next handler: it has exactly the effect of Handle on
// r with the tail's attributes added, without building that record. The
// module's own layers call it to pass the attributes they append (the
// request scope's correlation_id, trace_id, span_id); a tail's type is
// internal to the module, so other code calls Handle.
func (h *Handler) HandleTail(ctx context.Context, r slog.Record, tail fuse.Tail) error {
	tail = withoutEmptyGroups(tail)
	if tail.Len() == 0 {
		return h.handle(ctx, r, nil)
	}
	return h.handle(ctx, r, &tail)
}

// withoutEmptyGroups returns tail without its attributes whose value is an
// empty group, which slog.Record.AddAttrs leaves out of a record.
func withoutEmptyGroups(tail fuse.Tail) fuse.Tail {
	for i := range tail.Len() {
		if isEmptyGroup(tail.At(i).Value) {
			var out fuse.Tail
			for j := range tail.Len() {
				if a := tail.At(j); !isEmptyGroup(a.Value) {
					out.Add(a)
				}
			}
			return out
		}
	}
	return tail
}

// isEmptyGroup reports whether v is a group without attributes.
func isEmptyGroup(v slog.Value) bool {
	return v.Kind() == slog.KindGroup && len(v.Group()) == 0
}

// handle implements Handle and HandleTail; tail is nil when there is none.
func (h *Handler) handle(ctx context.Context, r slog.Record, tail *fuse.Tail) error {
	var t tally
	h.red.c.records.Add(1)
	if h.enc != nil {
		return h.encode(r, tail, &t)
	}
	msg, msgChanged := h.red.body(r.Message, &t, 0)
	// Look for the first attribute that changes; most records have none.
	first := -1
	var firstAttr slog.Attr
	if !msgChanged {
		first, firstAttr = h.firstChange(r, tail, &t)
	}
	if !msgChanged && first < 0 {
		h.red.c.flush(&t)
		return h.pass(ctx, r, tail)
	}
	return h.rebuild(ctx, r, tail, msg, first, firstAttr, &t)
}

// firstChange returns the index of the first attribute of r, followed by
// those of tail, that masking changes, and its masked form; -1 when none
// does.
func (h *Handler) firstChange(r slog.Record, tail *fuse.Tail, t *tally) (int, slog.Attr) {
	first, i := -1, 0
	var firstAttr slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		vd := h.red.attrVerdict(a.Key, t)
		if !h.maskAll && !vd.secret && !vd.changed && h.red.cleanValue(a.Value) {
			i++ // the common case, decided without building an Attr
			return true
		}
		if na, changed := h.attrWith(a, vd, t); changed {
			first, firstAttr = i, na
			return false
		}
		i++
		return true
	})
	if first < 0 && tail != nil {
		for j := range tail.Len() {
			if na, changed := h.maskedAttr(tail.At(j), t); changed {
				return i + j, na
			}
		}
	}
	return first, firstAttr
}

// maskedAttr returns a record attribute as it is passed on, and whether it
// changed: the common case, a clean key with a value cleanValue clears, is
// decided without building an Attr.
func (h *Handler) maskedAttr(a slog.Attr, t *tally) (slog.Attr, bool) {
	vd := h.red.attrVerdict(a.Key, t)
	if !h.maskAll && !vd.secret && !vd.changed && h.red.cleanValue(a.Value) {
		return a, false
	}
	return h.attrWith(a, vd, t)
}

// pass hands r, and tail when there is one, to the next handler.
func (h *Handler) pass(ctx context.Context, r slog.Record, tail *fuse.Tail) error {
	if tail == nil {
		return h.next.Handle(ctx, r)
	}
	return fuse.Pass(ctx, h.next, r, *tail)
}

// rebuild passes on a new record with the same time, level and PC, the
// message msg and the attributes of r masked, followed by the masked tail.
// The attributes before index first (counting r's, then the tail's) are
// unchanged; the one at first is firstAttr, already masked (when first < 0,
// every attribute is masked here).
func (h *Handler) rebuild(ctx context.Context, r slog.Record, tail *fuse.Tail, msg string, first int, firstAttr slog.Attr, t *tally) error {
	// The attributes are collected on the stack, then added at once: one
	// allocation for those past the record's inline ones, instead of one
	// per growth.
	var stack [rebuildInline]slog.Attr
	attrs := stack[:0]
	i := 0
	r.Attrs(func(a slog.Attr) bool {
		switch {
		case i < first:
			attrs = append(attrs, a)
		case i == first:
			attrs = append(attrs, firstAttr)
		default:
			na, _ := h.attr(a, t)
			attrs = append(attrs, na)
		}
		i++
		return true
	})
	nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	nr.AddAttrs(attrs...)
	if tail == nil {
		h.red.c.flushRecord(t)
		return h.next.Handle(ctx, nr)
	}
	return h.rebuildTail(ctx, nr, tail, i, first, firstAttr, t)
}

// rebuildTail passes nr on with the attributes of tail masked; i is the
// index of the tail's first attribute among the record's.
func (h *Handler) rebuildTail(ctx context.Context, nr slog.Record, tail *fuse.Tail, i, first int, firstAttr slog.Attr, t *tally) error {
	var masked fuse.Tail
	for j := range tail.Len() {
		a := tail.At(j)
		switch {
		case i < first:
		case i == first:
			a = firstAttr
		default:
			a, _ = h.attr(a, t)
		}
		masked.Add(a)
		i++
	}
	h.red.c.flushRecord(t)
	return fuse.Pass(ctx, h.next, nr, masked)
}

// attr masks one attribute of a record or of WithAttrs.
func (h *Handler) attr(a slog.Attr, t *tally) (slog.Attr, bool) {
	return h.attrWith(a, h.red.attrVerdict(a.Key, t), t)
}

// attrWith is attr with the key's verdict vd already looked up.
func (h *Handler) attrWith(a slog.Attr, vd *keyVerdict, t *tally) (slog.Attr, bool) {
	if !h.maskAll || vd.own && isScalar(a.Value) {
		return h.red.attrWith(a, vd, t)
	}
	key := a.Key
	if vd.changed {
		key = vd.masked
		t.addHits(&vd.hits)
	}
	return slog.Attr{Key: key, Value: h.red.maskWhole(a.Value, t, 0)}, true
}

// WithAttrs masks attrs once and returns a Handler whose next handler has
// them bound.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	var t tally
	out := attrs
	copied := false
	for i, a := range attrs {
		na, changed := h.attr(a, &t)
		if !changed {
			continue
		}
		if !copied {
			out = slices.Clone(attrs)
			copied = true
		}
		out[i] = na
	}
	h.red.c.flush(&t)
	return derived(h.next.WithAttrs(out), h.red, h.maskAll)
}

// WithGroup returns a Handler whose next handler has the group open. A name
// that contains a secret is masked; a name that matches a key rule makes
// every value logged inside the group masked.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	var t tally
	vd := h.red.attrVerdict(name, &t)
	if vd.changed {
		name = vd.masked
		t.addHits(&vd.hits)
	}
	h.red.c.flush(&t)
	return derived(h.next.WithGroup(name), h.red, h.maskAll || vd.secret)
}
