package handler

import (
	"expvar"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
)

// Stats are the counters of a Stack and of each of its layers; a layer
// that is switched off is nil. expvar shows them as one JSON object.
type Stats struct {
	// Records is the number of records handed to the stack (records at a
	// level the stack refuses are not counted).
	Records uint64
	// Correlation counts the records given correlation attributes.
	Correlation *httpctx.HandlerStats `json:",omitempty"`
	// Sampling counts requests and records sampled, buffered, rescued and
	// dropped.
	Sampling *sampling.Stats `json:",omitempty"`
	// Aggregation counts records passed, folded and summaries written.
	Aggregation *aggregation.Stats `json:",omitempty"`
	// Redact counts records and values masked.
	Redact *redact.Stats `json:",omitempty"`
	// Async counts records queued, written and dropped by the async queue.
	Async *async.Stats `json:",omitempty"`
}

// Stats returns the counters of the stack and its layers. It is safe to
// call at any time, during and after Shutdown.
func (s *Stack) Stats() Stats {
	st := Stats{Records: s.top.records.Load()}
	if s.correlation != nil {
		v := s.correlation.Stats()
		st.Correlation = &v
	}
	if s.sampling != nil {
		v := s.sampling.Stats()
		st.Sampling = &v
	}
	if s.aggregation != nil {
		v := s.aggregation.Stats()
		st.Aggregation = &v
	}
	if s.redact != nil {
		v := s.redact.Stats()
		st.Redact = &v
	}
	switch {
	case s.asyncH != nil:
		v := s.asyncH.Stats()
		st.Async = &v
	case s.asyncW != nil:
		v := s.asyncW.Stats()
		st.Async = &v
	}
	return st
}

// The expvar names this package has published, each showing the Stats of
// the latest stack built with it. expvar.Publish panics on a name already
// in use, so a name is published once and later stacks take it over.
var (
	expvarMu    sync.Mutex
	expvarSlots = map[string]*atomic.Pointer[Stack]{}
)

// checkExpvar reports an error when name is in use by someone else.
func checkExpvar(name string) error {
	expvarMu.Lock()
	defer expvarMu.Unlock()
	if _, ours := expvarSlots[name]; !ours && expvar.Get(name) != nil {
		return fmt.Errorf("handler: expvar name %q is already published by other code; choose another Config.ExpvarName, or NoExpvar", name)
	}
	return nil
}

// publishExpvar shows s's Stats under name.
func publishExpvar(name string, s *Stack) {
	expvarMu.Lock()
	defer expvarMu.Unlock()
	if slot, ok := expvarSlots[name]; ok {
		slot.Store(s)
		return
	}
	if expvar.Get(name) != nil { // published by other code since checkExpvar
		return
	}
	slot := new(atomic.Pointer[Stack])
	slot.Store(s)
	expvar.Publish(name, expvar.Func(func() any { return slot.Load().Stats() }))
	expvarSlots[name] = slot
}
