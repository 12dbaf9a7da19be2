package reqscope

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"go.opentelemetry.io/otel/trace"
)

// recorder is a Listener that logs the calls it gets.
type recorder struct {
	name   string
	mu     sync.Mutex
	events *[]string
}

func (r *recorder) ScopeKept(*Scope)  { r.add("kept " + r.name) }
func (r *recorder) ScopeEnded(*Scope) { r.add("ended " + r.name) }
func (r *recorder) add(e string) {
	r.mu.Lock()
	*r.events = append(*r.events, e)
	r.mu.Unlock()
}

func TestDecisionAndAccessors(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1},
		SpanID:     trace.SpanID{2},
		TraceFlags: trace.FlagsSampled,
	})
	notSampled := Decision{Sampled: false, Rate: 0.25, Reason: ReasonRate}
	s := New("abc", sc, notSampled)
	if s.CorrelationID() != "abc" || !s.SpanContext().Equal(sc) {
		t.Fatalf("accessors: got %q %v", s.CorrelationID(), s.SpanContext())
	}
	if s.Sampled() || s.Kept() || s.Ended() {
		t.Fatal("a new scope that is not sampled reports sampled, kept or ended")
	}
	if diff := cmp.Diff(notSampled, s.Decision()); diff != "" {
		t.Fatalf("Decision before Keep (-want +got):\n%s", diff)
	}
	if !s.Keep() {
		t.Fatal("first Keep did not report that it kept the scope")
	}
	if s.Keep() {
		t.Fatal("second Keep reported that it kept the scope")
	}
	want := Decision{Sampled: true, Rate: 0.25, Reason: ReasonError}
	if diff := cmp.Diff(want, s.Decision()); diff != "" {
		t.Fatalf("Decision after Keep (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(notSampled, s.Initial()); diff != "" {
		t.Fatalf("Initial after Keep (-want +got):\n%s", diff)
	}
	if !s.Sampled() || !s.Kept() {
		t.Fatal("a kept scope does not report sampled and kept")
	}

	sampled := New("def", trace.SpanContext{}, Decision{Sampled: true, Rate: 1, Reason: ReasonPath})
	if sampled.Keep() || sampled.Kept() {
		t.Fatal("Keep on a sampled scope kept it")
	}
	if !sampled.End() || sampled.End() || !sampled.Ended() {
		t.Fatal("End did not report once")
	}
}

func TestListenersOrderAndOnce(t *testing.T) {
	var events []string
	s := New("id", trace.SpanContext{}, Decision{Reason: ReasonRate})
	for _, name := range []string{"a", "b"} {
		v, ok := s.Attach(name, func() any { return &recorder{name: name, events: &events} })
		if !ok || v.(*recorder).name != name {
			t.Fatalf("Attach(%q) = %v, %v", name, v, ok)
		}
	}
	// A value that is not a Listener is kept but never called.
	if _, ok := s.Attach("plain", func() any { return 42 }); !ok {
		t.Fatal("Attach of a plain value failed")
	}
	// Attach under an existing key returns the existing value without create.
	v, ok := s.Attach("a", func() any { t.Fatal("create called for an existing key"); return nil })
	if !ok || v.(*recorder).name != "a" {
		t.Fatalf("Attach existing = %v, %v", v, ok)
	}
	if v, ok := s.Lookup("plain"); !ok || v != 42 {
		t.Fatalf("Lookup = %v, %v", v, ok)
	}
	s.Keep()
	s.Keep()
	s.End()
	s.End()
	want := []string{"kept a", "kept b", "ended a", "ended b"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Fatalf("listener calls (-want +got):\n%s", diff)
	}
	if _, ok := s.Lookup("a"); ok {
		t.Fatal("Lookup found an attachment after End")
	}
	if v, ok := s.Attach("c", func() any { t.Fatal("create called after End"); return nil }); ok || v != nil {
		t.Fatalf("Attach after End = %v, %v", v, ok)
	}
	// Keep after End marks the scope kept without calling released listeners.
	s2 := New("id2", trace.SpanContext{}, Decision{Reason: ReasonRate})
	s2.Attach("a", func() any { return &recorder{name: "late", events: &events} })
	s2.End()
	events = nil
	if !s2.Keep() || !s2.Sampled() {
		t.Fatal("Keep after End did not mark the scope kept")
	}
	if len(events) != 0 {
		t.Fatalf("listeners called after End: %v", events)
	}
}

// keepRaceListener checks the documented rule: a value attached
// concurrently with Keep either gets ScopeKept or sees Kept() after Attach.
type keepRaceListener struct{ kept atomic.Bool }

func (l *keepRaceListener) ScopeKept(*Scope)  { l.kept.Store(true) }
func (l *keepRaceListener) ScopeEnded(*Scope) {}

func TestAttachRacingKeep(t *testing.T) {
	leakcheck.Check(t)
	for i := 0; i < 2000; i++ {
		s := New("id", trace.SpanContext{}, Decision{Reason: ReasonRate})
		var wg sync.WaitGroup
		var l *keepRaceListener
		var sawKept bool
		wg.Add(2)
		go func() {
			defer wg.Done()
			v, _ := s.Attach(&i, func() any { return &keepRaceListener{} })
			l = v.(*keepRaceListener)
			sawKept = s.Kept()
		}()
		go func() {
			defer wg.Done()
			s.Keep()
		}()
		wg.Wait()
		if !s.Kept() {
			t.Fatal("scope not kept")
		}
		// Either the listener was told, or it was attached after the flag
		// was set and saw Kept right after Attach returned.
		if !l.kept.Load() && !sawKept {
			t.Fatalf("round %d: listener neither told nor able to see Kept", i)
		}
	}
}

func TestConcurrentAttachCreatesOnce(t *testing.T) {
	leakcheck.Check(t)
	s := New("id", trace.SpanContext{}, Decision{Reason: ReasonRate})
	var created atomic.Int32
	var wg sync.WaitGroup
	got := make([]any, 16)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				v, _ := s.Attach(k, func() any { created.Add(1); return new(int) })
				if k == 0 {
					got[g] = v
				}
			}
		}()
	}
	wg.Wait()
	if n := created.Load(); n != 50 {
		t.Fatalf("create ran %d times for 50 keys", n)
	}
	for g := range got {
		if got[g] != got[0] {
			t.Fatal("goroutines got different values for one key")
		}
	}
}

func TestContext(t *testing.T) {
	var nilCtx context.Context
	if FromContext(nilCtx) != nil {
		t.Fatal("FromContext(nil) != nil")
	}
	if FromContext(context.Background()) != nil {
		t.Fatal("scope found in an empty context")
	}
	s := New("id", trace.SpanContext{}, Decision{})
	if FromContext(NewContext(context.Background(), s)) != s {
		t.Fatal("scope not found in its context")
	}
}

func BenchmarkLookup(b *testing.B) {
	s := New("id", trace.SpanContext{}, Decision{})
	key := new(int)
	s.Attach(key, func() any { return 1 })
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Lookup(key); !ok {
			b.Fatal("not found")
		}
	}
}

// TestAttachAllocatesOnce checks that each Attach of a new key costs one
// allocation (its list node) however many values the scope holds, that
// Lookup allocates nothing, and that every value stays found, in order.
func TestAttachAllocatesOnce(t *testing.T) {
	values := make([]*int, 6)
	for i := range values {
		values[i] = new(int)
	}
	var s *Scope
	got := testing.AllocsPerRun(50, func() {
		s = New("c", trace.SpanContext{}, Decision{})
		for i, v := range values {
			s.Attach(i, func() any { return v })
		}
	})
	if want := float64(1 + len(values)); got != want {
		t.Errorf("New and %d attachments: %v allocations, want %v", len(values), got, want)
	}
	if n := testing.AllocsPerRun(50, func() { s.Lookup(len(values) - 1) }); n != 0 {
		t.Errorf("Lookup: %v allocations, want 0", n)
	}
	for i, v := range values {
		if got, ok := s.Lookup(i); !ok || got != v {
			t.Errorf("Lookup(%d) = %v, %v; want %p, true", i, got, ok, v)
		}
	}
	s.End()
	for i := range values {
		if got, ok := s.Lookup(i); ok {
			t.Errorf("Lookup(%d) after End = %v, true", i, got)
		}
	}
}

// TestKeepListsOnlyEarlierAttachments checks that Keep tells exactly the
// listeners attached before it, and End every listener, each once.
func TestKeepListsOnlyEarlierAttachments(t *testing.T) {
	var events []string
	s := New("c", trace.SpanContext{}, Decision{})
	s.Attach("a", func() any { return &recorder{name: "a", events: &events} })
	s.Attach("b", func() any { return &recorder{name: "b", events: &events} })
	s.Keep()
	s.Attach("c", func() any { return &recorder{name: "c", events: &events} })
	s.Keep()
	s.End()
	want := []string{"kept a", "kept b", "ended a", "ended b", "ended c"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
