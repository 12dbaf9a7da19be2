package sampling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// order is a decoded request a caller logs and then keeps updating.
type order struct {
	ID    string
	Items []string
	Qty   map[string]int
	Next  *order
}

// mutable is a value a caller logs and then changes: make builds it,
// mutate changes it once (the i-th time).
type mutable struct {
	name   string
	make   func() any
	mutate func(v any, i int)
}

var mutables = []mutable{
	{"map", func() any { return map[string]int{"a": 1, "b": 2} },
		func(v any, i int) { m := v.(map[string]int); m["a"] = i; m[fmt.Sprint("k", i%50)] = i }},
	{"slice", func() any { return []int{1, 2, 3} },
		func(v any, i int) { v.([]int)[i%3] = i }},
	{"pointer to struct", func() any {
		return &order{ID: "o1", Items: []string{"x"}, Qty: map[string]int{"x": 1}, Next: &order{ID: "o2"}}
	}, func(v any, i int) {
		o := v.(*order)
		o.Items[0] = fmt.Sprint("item", i)
		o.Qty["x"] = i
		o.Next.ID = fmt.Sprint("o", i)
	}},
	{"byte slice", func() any { return []byte("secret-at-call") },
		func(v any, i int) { v.([]byte)[i%14] = 'X' }},
	{"json.RawMessage", func() any { return json.RawMessage(`{"n":1}`) },
		func(v any, i int) { v.(json.RawMessage)[5] = byte('0' + i%10) }},
}

// callTimeLine returns the JSON line a plain JSON handler writes for the
// record at the call, decoded, with the annotations of a rescued record.
func callTimeLine(t *testing.T, r slog.Record) map[string]any {
	t.Helper()
	out, h := newJSON(slog.LevelDebug)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return kept(out.Lines(t)[0], notSampled.Rate)
}

// TestMutationAfterCall logs a value, then keeps changing it on the
// caller's goroutine while another goroutine of the request logs the ERROR
// that writes the buffer. Under -race: no race, no crash, and the rescued
// record shows the value as it was at the call.
func TestMutationAfterCall(t *testing.T) {
	rounds := 100
	if raceEnabled {
		rounds = 30
	}
	for _, m := range mutables {
		t.Run(m.name, func(t *testing.T) {
			for range rounds {
				out, next := newJSON(slog.LevelDebug)
				h := NewHandler(next, DefaultOptions())
				ctx, s := open(notSampled)
				v := m.make()
				r := slog.NewRecord(time0, slog.LevelInfo, "logged", 0)
				r.AddAttrs(slog.Any("v", v), slog.Group("g", slog.Any("v", v)))
				want := []map[string]any{callTimeLine(t, r), kept(rec("ERROR", "trigger"), notSampled.Rate)}

				logged := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(2)
				go func() {
					defer wg.Done()
					h.Handle(ctx, r)
					close(logged)
					for i := range 200 {
						m.mutate(v, i)
					}
				}()
				go func() {
					defer wg.Done()
					<-logged
					h.Handle(ctx, slog.NewRecord(time0, slog.LevelError, "trigger", 0))
				}()
				wg.Wait()
				s.End()
				if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
					t.Fatalf("rescued output is not the value at the call (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// selfValuer is a LogValuer that returns itself.
type selfValuer struct{}

func (v selfValuer) LogValue() slog.Value { return slog.AnyValue(v) }

// panicValuer is a LogValuer that panics.
type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("LogValue exploded") }

// countValuer resolves to the counter's value when it is resolved.
type countValuer struct{ n *atomic.Int64 }

func (v countValuer) LogValue() slog.Value { return slog.Int64Value(v.n.Load()) }

// guarded holds a mutex, which a snapshot must never copy.
type guarded struct {
	mu    sync.Mutex
	Count int
	Name  string
}

// node is a tree node with a parent pointer: cyclic.
type node struct {
	Name     string
	Parent   *node
	Children []*node
}

// diamond returns a DAG of the given depth whose every level points twice
// to the same node below: 2^depth paths, depth+1 nodes.
func diamond(depth int) *order {
	o := &order{ID: "leaf"}
	for i := range depth {
		o = &order{ID: fmt.Sprint("level", i), Next: o, Qty: map[string]int{"n": i}}
		o.Items = []string{o.Next.ID, o.Next.ID}
	}
	return o
}

// TestHostileValuesRescued buffers values that break naive copies and
// writes them when the request is kept: each call returns at once, and
// each rescued record is exactly what a plain JSON handler writes for the
// same record at the call.
func TestHostileValuesRescued(t *testing.T) {
	leakcheck.Check(t)
	locked := &guarded{Count: 3, Name: "held"}
	locked.mu.Lock()
	defer locked.mu.Unlock()
	parent := &node{Name: "root"}
	for i := range 150 {
		parent.Children = append(parent.Children, &node{Name: fmt.Sprint("c", i), Parent: parent})
	}
	shared := &order{ID: "shared", Qty: map[string]int{"q": 1}}
	sharedSlice := make([]*order, 100)
	for i := range sharedSlice {
		sharedSlice[i] = shared
	}
	counter := &atomic.Int64{}
	cases := []struct {
		name  string
		value any
	}{
		{"struct holding a locked mutex", locked},
		{"struct holding a locked mutex, by value in a map", map[string]*guarded{"g": locked}},
		{"cycle through parent pointers", parent},
		{"self cycle", func() any { n := &node{Name: "self"}; n.Parent = n; return n }()},
		{"heavily shared pointers", sharedSlice},
		{"diamond DAG", diamond(12)},
		{"LogValuer that panics", panicValuer{}},
		{"LogValuer that returns itself", selfValuer{}},
		{"LogValuer read at the call", countValuer{counter}},
		{"channel", make(chan int)},
		{"func", func() {}},
		{"error chain", fmt.Errorf("wrapped: %w", errors.New("inner"))},
		{"nil", nil},
		{"large string", strings.Repeat("s", 1<<16)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, DefaultOptions())
			ctx, s := open(notSampled)
			r := slog.NewRecord(time0, slog.LevelInfo, "hostile", 0)
			r.AddAttrs(slog.Any("v", tc.value))
			want := []map[string]any{callTimeLine(t, r), kept(rec("ERROR", "trigger"), notSampled.Rate)}
			within(t, "buffering the value", func() {
				if err := h.Handle(ctx, r); err != nil {
					t.Errorf("Handle: %v", err)
				}
			})
			counter.Add(1) // changes what the LogValuer would say now
			within(t, "the trigger", func() {
				h.Handle(ctx, slog.NewRecord(time0, slog.LevelError, "trigger", 0))
				s.End()
			})
			if diff := cmp.Diff(want, out.Lines(t), panicTextHead); diff != "" {
				t.Fatalf("rescued output differs from the output at the call (-want +got):\n%s", diff)
			}
			st := h.Stats()
			if st.RecordsRescued != 1 || st.HandlePanics != 0 {
				t.Fatalf("stats: %+v", st)
			}
			checkConservation(t, st)
		})
	}
}

// panicTextHead compares the text slog writes for a panicking LogValue by
// its message and the frames down to slog.Value.Resolve: the frames below
// name whoever resolved the value, the handler or the snapshot.
var panicTextHead = cmp.Comparer(func(a, b string) bool { return panicHead(a) == panicHead(b) })

func panicHead(s string) string {
	if !strings.HasPrefix(s, "LogValue panicked\n") {
		return s
	}
	lines := strings.SplitN(s, "\n", 4)
	return strings.Join(lines[:min(3, len(lines))], "\n")
}
