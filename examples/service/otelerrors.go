package main

import (
	"fmt"
	"io"
	"sync"
)

// otelErrorsShown is how many distinct errors otelErrors writes.
const otelErrorsShown = 16

// otelErrors is the service's OpenTelemetry global error handler
// (otel.SetErrorHandler). The OTLP pipeline reports every failed export
// there (a Collector refusing for an hour is thousands of them), while
// its counters (the report's export rows, otlp_export at /debug/vars)
// already count each one and the records it cost. So it writes each
// distinct error once, the first otelErrorsShown of them, and counts the
// rest; summary says how many there were in all.
type otelErrors struct {
	w io.Writer

	mu    sync.Mutex
	seen  map[string]bool // the errors written, by text
	total uint64          // errors handled
}

func newOTelErrors(w io.Writer) *otelErrors {
	return &otelErrors{w: w, seen: map[string]bool{}}
}

// Handle writes err, unless an error of the same text was written before
// or otelErrorsShown distinct ones were; it counts it in any case.
func (h *otelErrors) Handle(err error) {
	msg := err.Error()
	h.mu.Lock()
	h.total++
	show := !h.seen[msg] && len(h.seen) < otelErrorsShown
	if show {
		h.seen[msg] = true
	}
	h.mu.Unlock()
	if show {
		fmt.Fprintf(h.w, "otel: %s (written once; repeats counted at exit)\n", msg)
	}
}

// summary writes how many errors were handled, when more were handled than
// written.
func (h *otelErrors) summary(w io.Writer) {
	h.mu.Lock()
	total, shown := h.total, len(h.seen)
	h.mu.Unlock()
	if total > uint64(shown) {
		fmt.Fprintf(w, "otel: %d errors in all, %d distinct written above; the report's export rows count the records they cost\n", total, shown)
	}
}
