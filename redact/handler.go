package redact

import (
	"context"
	"log/slog"
	"slices"
)

// Handler is a slog.Handler that masks secrets in every record, and in the
// attributes bound with WithAttrs, before passing them to the next handler.
//
// A record of scalar values (strings, numbers, booleans, times, durations,
// plain errors, byte slices) in which nothing is masked is passed on as is,
// without allocating. Otherwise the next handler gets a new record with the
// same time, level and PC, the masked message and the attributes with
// masked values, in their original order. A structured value (a struct,
// pointer, map, slice, or a value with methods such as String or
// MarshalText) is always replaced by its masked JSON, which every sink
// writes: JSON sinks as that JSON (byte for byte what slog.JSONHandler
// writes for the original when nothing is masked), text sinks as the same
// text, so that no sink writes a form redaction did not read. LogValuer values are resolved once here
// (a record carrying one is always rebuilt with the resolved value), so the
// next handler sees exactly what was checked.
//
// Attributes bound with WithAttrs are masked once, when bound. A group
// opened with WithGroup whose name matches a key rule (WithGroup("auth"))
// masks every value logged inside it, as slog.Group("auth", ...) on the
// record would; the module's own keys (correlation_id, _sampled, ...) are
// never masked, there or anywhere. Handler is safe for concurrent use.
type Handler struct {
	next    slog.Handler
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
	return &Handler{next: next, red: red}
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
	var t tally
	h.red.c.records.Add(1)
	msg, msgChanged := h.red.body(r.Message, &t, 0)
	// Look for the first attribute that changes; most records have none.
	first := -1
	var firstAttr slog.Attr
	if !msgChanged {
		i := 0
		r.Attrs(func(a slog.Attr) bool {
			vd := h.red.verdict(a.Key, &t)
			if !h.maskAll && !vd.secret && !vd.changed && h.red.cleanValue(a.Value) {
				i++ // the common case, decided without building an Attr
				return true
			}
			if na, changed := h.attrWith(a, vd, &t); changed {
				first, firstAttr = i, na
				return false
			}
			i++
			return true
		})
	}
	if !msgChanged && first < 0 {
		h.red.c.flush(&t)
		return h.next.Handle(ctx, r)
	}
	return h.rebuild(ctx, r, msg, first, firstAttr, &t)
}

// rebuild passes on a new record with the same time, level and PC, the
// message msg and the attributes of r masked. The attributes before index
// first are unchanged; the one at first is firstAttr, already masked (when
// first < 0, every attribute is masked here).
func (h *Handler) rebuild(ctx context.Context, r slog.Record, msg string, first int, firstAttr slog.Attr, t *tally) error {
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
	if t.masked() {
		h.red.c.recordsChanged.Add(1)
	}
	h.red.c.flush(t)
	nr := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	nr.AddAttrs(attrs...)
	return h.next.Handle(ctx, nr)
}

// attr masks one attribute of a record or of WithAttrs.
func (h *Handler) attr(a slog.Attr, t *tally) (slog.Attr, bool) {
	return h.attrWith(a, h.red.verdict(a.Key, t), t)
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
	return &Handler{next: h.next.WithAttrs(out), red: h.red, maskAll: h.maskAll}
}

// WithGroup returns a Handler whose next handler has the group open. A name
// that contains a secret is masked; a name that matches a key rule makes
// every value logged inside the group masked.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	var t tally
	vd := h.red.verdict(name, &t)
	if vd.changed {
		name = vd.masked
		t.addHits(&vd.hits)
	}
	h.red.c.flush(&t)
	return &Handler{next: h.next.WithGroup(name), red: h.red, maskAll: h.maskAll || vd.secret}
}
