package slogstack

import (
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// Stats are the counters of a Stack and of each of its layers. The layer
// fields are in the order of the stack, top first; a layer that the
// Config switches off is nil (and left out of the JSON). HTTP is nil until
// Stack.Middleware is first called. Stats marshals with encoding/json.
type Stats struct {
	// Records is the number of records handed to the stack (records at a
	// level the stack refuses are not counted).
	Records uint64
	// HTTP counts the requests of Stack.Middleware: correlation IDs by
	// source, sampling decisions by reason, panics, captured bodies.
	HTTP *httpctx.Stats `json:",omitempty"`
	// Sampling counts requests and records sampled, buffered, rescued and
	// dropped.
	Sampling *sampling.Stats `json:",omitempty"`
	// Scope counts the records given correlation attributes.
	Scope *scope.Stats `json:",omitempty"`
	// Aggregation counts records passed, folded and summaries written.
	Aggregation *aggregation.Stats `json:",omitempty"`
	// Redact counts records and values masked.
	Redact *redact.Stats `json:",omitempty"`
	// Async counts records queued, written and dropped by the async queue.
	Async *async.Stats `json:",omitempty"`
}

// Stats returns the counters of the stack and its layers. It is safe to
// call at any time, during and after Shutdown. The library publishes
// nothing itself; to show the counters at /debug/vars, publish them with
// expvar in one line:
//
//	expvar.Publish("slogstack", expvar.Func(func() any { return stack.Stats() }))
func (s *Stack) Stats() Stats {
	st := Stats{Records: s.top.records.Load()}
	if s.httpUsed.Load() {
		st.HTTP = ptr(s.httpStats())
	}
	if s.sampling != nil {
		st.Sampling = ptr(s.sampling.Stats())
	}
	if s.correlation != nil {
		st.Scope = ptr(s.correlation.Stats())
	}
	if s.aggregation != nil {
		st.Aggregation = ptr(s.aggregation.Stats())
	}
	if s.redact != nil {
		st.Redact = ptr(s.redact.Stats())
	}
	switch {
	case s.asyncH != nil:
		st.Async = ptr(s.asyncH.Stats())
	case s.asyncW != nil:
		st.Async = ptr(s.asyncW.Stats())
	}
	return st
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }
