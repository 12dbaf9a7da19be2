package sampling

import (
	"log/slog"
	"math"
	"slices"
)

// Keys of the attributes the Handler adds to records it writes for a
// request scope (and, with Options.SampleUnscoped, to sampled records
// without one). They are added at the top level of the record, outside any
// group opened with WithGroup.
const (
	sampledKey      = "_sampled"
	sampleRateKey   = "_sample_rate"
	sampleReasonKey = "_sample_reason"
	// lostRecordsKey is the attribute of the WARN record (message
	// lostRecordsMessage) that a kept request's flush writes where records
	// were lost to a buffer bound: the exact number lost in that gap.
	lostRecordsKey = "_lost_records"
)

// lostRecordsMessage is the message of the WARN record that reports
// records lost from a request's buffer.
const lostRecordsMessage = "sampling: records of this request were lost from its buffer"

// maxVariants bounds the annotated handlers cached per Handler: one per
// distinct (rate, reason) pair seen. Past the bound, further pairs are
// built for each record (correct, slower).
const maxVariants = 16

// variant is a next handler with the annotation attributes added at the
// top level and the handler's WithAttrs/WithGroup chain replayed on top.
type variant struct {
	rateBits uint64
	reason   string
	h        slog.Handler
}

// chainOp is the WithAttrs or WithGroup call that derived a Handler from
// its parent.
type chainOp struct {
	attrs []slog.Attr // WithAttrs; owned by the Handler, never modified
	group string      // WithGroup when non-empty
}

func (op chainOp) apply(h slog.Handler) slog.Handler {
	if op.group != "" {
		return h.WithGroup(op.group)
	}
	// Each handler owns the slice it is given.
	return h.WithAttrs(slices.Clone(op.attrs))
}

// annotationAttrs returns the attributes that mark a written record.
func annotationAttrs(rate float64, reason string) []slog.Attr {
	return []slog.Attr{
		slog.Bool(sampledKey, true),
		slog.Float64(sampleRateKey, rate),
		slog.String(sampleReasonKey, reason),
	}
}

// annotated returns the next handler that writes records with
// _sampled=true, _sample_rate=rate and _sample_reason=reason at the top
// level, under this handler's WithAttrs/WithGroup chain. Handlers are built
// once per (rate, reason) pair and cached; building a child's reuses its
// parent's, so it costs one WithAttrs or WithGroup call on the next handler.
func (h *Handler) annotated(rate float64, reason string) slog.Handler {
	bits := math.Float64bits(rate)
	if vs := h.variants.Load(); vs != nil {
		for i := range *vs {
			if v := &(*vs)[i]; v.rateBits == bits && v.reason == reason {
				return v.h
			}
		}
	}
	var built slog.Handler
	if h.parent == nil {
		built = h.next.WithAttrs(annotationAttrs(rate, reason))
	} else {
		built = h.op.apply(h.parent.annotated(rate, reason))
	}
	h.variantsMu.Lock()
	defer h.variantsMu.Unlock()
	var old []variant
	if vs := h.variants.Load(); vs != nil {
		old = *vs
		for i := range old {
			if v := &old[i]; v.rateBits == bits && v.reason == reason {
				return v.h // built concurrently
			}
		}
	}
	if len(old) < maxVariants {
		next := make([]variant, len(old), len(old)+1)
		copy(next, old)
		next = append(next, variant{rateBits: bits, reason: reason, h: built})
		h.variants.Store(&next)
	}
	return built
}
