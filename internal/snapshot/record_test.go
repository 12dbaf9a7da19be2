package snapshot

import (
	"os"
	"unsafe"

	"fmt"
	"github.com/google/go-cmp/cmp"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/logtest"
)

type dag struct{ A, B *dag }

// deepDAG is a chain of n nodes each pointing twice at the next: 2^n paths,
// n nodes.
func deepDAG(n int) *dag {
	var d *dag
	for range n {
		d = &dag{A: d, B: d}
	}
	return d
}

func TestSharedStructureCopiedOnce(t *testing.T) {
	got, _ := Value(slog.AnyValue(deepDAG(200)))
	d := got.Any().(*dag)
	depth := 0
	for ; d != nil; d = d.A {
		if d.A != d.B {
			t.Fatalf("level %d: shared node copied twice", depth)
		}
		depth++
	}
	if depth != 200 {
		t.Fatalf("depth %d, want 200", depth)
	}
}

type selfValuer struct{}

func (v selfValuer) LogValue() slog.Value { return slog.AnyValue(v) }

type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("boom") }

type countValuer struct{ n *int }

func (v countValuer) LogValue() slog.Value { *v.n++; return slog.IntValue(*v.n) }

func TestLogValuersResolvedAtCall(t *testing.T) {
	n := 0
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(
		slog.Any("self", selfValuer{}),
		slog.Any("panic", panicValuer{}),
		slog.Any("count", countValuer{&n}),
		slog.Group("g", slog.Any("count", countValuer{&n})),
	)
	s, _ := Record(r)
	if n != 2 {
		t.Fatalf("LogValue called %d times, want 2", n)
	}
	var got []string
	var walk func(prefix string, a slog.Attr)
	walk = func(prefix string, a slog.Attr) {
		if a.Value.Kind() == slog.KindGroup {
			for _, ga := range a.Value.Group() {
				walk(prefix+a.Key+".", ga)
			}
			return
		}
		if a.Value.Kind() == slog.KindLogValuer {
			t.Errorf("%s%s still a LogValuer", prefix, a.Key)
		}
		got = append(got, fmt.Sprintf("%s%s=%v", prefix, a.Key, a.Value))
	}
	s.Attrs(func(a slog.Attr) bool { walk("", a); return true })
	want := []string{"self=", "panic=LogValue panicked", "count=1", "g.count=2"}
	for i, w := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], w) {
			t.Errorf("attr %d = %q, want prefix %q", i, got, w)
		}
	}
	_ = render(t, slog.GroupValue(slog.Any("x", s)), false)
}

// TestRecordOneAllocation checks that a record of strings and scalars
// costs one allocation: its text, copied into one block.
func TestRecordOneAllocation(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.String("a", "b"), slog.Int("n", 1), slog.Bool("ok", true),
		slog.Duration("d", time.Second), slog.String("path", "/orders/42"))
	allocs := testing.AllocsPerRun(100, func() { Record(r) })
	if allocs != 1 {
		t.Fatalf("%v allocations for a record of strings and scalars, want 1", allocs)
	}
}

// TestTextCopied checks that a snapshot keeps no string of the caller's
// alive: a short string cut from a large one is copied, and charged by
// its own length.
func TestTextCopied(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	type named string
	r := slog.NewRecord(time.Now(), slog.LevelInfo, big[:4], 0)
	r.AddAttrs(slog.String(big[1:3], big[:8]), slog.Any("n", named(big[:5])),
		slog.Any("m", map[string]string{big[:2]: big[:3]}), slog.Group("g", slog.String("s", big[:6])))
	s, size := Record(r)
	if size > 4096 {
		t.Errorf("charged %d bytes for a few short strings", size)
	}
	inBig := func(str string) bool {
		if str == "" {
			return false
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(str)))
		b := uintptr(unsafe.Pointer(unsafe.StringData(big)))
		return p >= b && p < b+uintptr(len(big))
	}
	if inBig(s.Message) {
		t.Error("message shares the caller's string")
	}
	var walk func(a slog.Attr)
	walk = func(a slog.Attr) {
		if inBig(a.Key) {
			t.Errorf("key %q shares the caller's string", a.Key)
		}
		switch a.Value.Kind() {
		case slog.KindString:
			if inBig(a.Value.String()) {
				t.Errorf("value of %q shares the caller's string", a.Key)
			}
		case slog.KindGroup:
			for _, ga := range a.Value.Group() {
				walk(ga)
			}
		case slog.KindAny:
			switch x := a.Value.Any().(type) {
			case named:
				if inBig(string(x)) {
					t.Errorf("value of %q shares the caller's string", a.Key)
				}
			case map[string]string:
				for k, v := range x {
					if inBig(k) || inBig(v) {
						t.Errorf("map in %q shares the caller's strings", a.Key)
					}
				}
			default:
				t.Errorf("%q: unexpected %T", a.Key, x)
			}
		}
	}
	s.Attrs(func(a slog.Attr) bool { walk(a); return true })
}

type changingError struct{ parts *[]string }

func (e changingError) Error() string { return strings.Join(*e.parts, ",") }

// TestErrorTextAtCall checks that an error is kept as its text at the
// call, not as an error whose text may change.
func TestErrorTextAtCall(t *testing.T) {
	parts := []string{"a"}
	got, _ := Value(slog.AnyValue(changingError{&parts}))
	parts = append(parts, "b")
	if s := render(t, got, false); !strings.Contains(s, `"k":"a"`) {
		t.Fatalf("error rendered %s, want its text at the call", s)
	}
	var nilErr *os.PathError
	got, _ = Value(slog.AnyValue(error(nilErr)))
	if diff := cmp.Diff(render(t, slog.AnyValue(error(nilErr)), false), render(t, got, false)); diff != "" {
		t.Fatalf("nil pointer error (-slog +snapshot):\n%s", diff)
	}
}

// TestSizeCoversHeap checks that what Record reports covers what the
// snapshots really hold on the heap, and is not wildly above it.
func TestSizeCoversHeap(t *testing.T) {
	values := map[string]func(i int) any{
		"map": func(i int) any {
			m := make(map[string]any, 64)
			for j := range 64 {
				m[fmt.Sprint("key", j)] = strings.Repeat("v", 100+i%7)
			}
			return m
		},
		"bytes": func(i int) any { return make([]byte, 4096+i) },
		"tree":  func(i int) any { return tree(100) },
		// A LogValuer resolving to a group of many short texts: its text
		// is not known when the record's block is sized.
		"valuer-group": func(i int) any {
			g := make(groupOf, 64)
			for j := range g {
				g[j] = slog.String(fmt.Sprint("k", j), fmt.Sprint(i%10))
			}
			return g
		},
		"frozen": func(i int) any {
			return &locked{Count: i, Items: []string{strings.Repeat("x", 2000)}}
		},
	}
	for name, mk := range values {
		t.Run(name, func(t *testing.T) {
			const n = 200
			src := make([]slog.Record, n)
			for i := range src {
				src[i] = slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
				src[i].AddAttrs(slog.Any("v", mk(i)))
			}
			// covered holds when the charge covers the heap grown
			// (within 10%) and is at most four times it plus 64 KiB.
			total := 0
			covered := func(lowest, highest int64) bool {
				return float64(total) >= 0.9*float64(lowest) &&
					(highest <= 0 || float64(total) <= 4*float64(highest)+64*1024)
			}
			// Up to three measures: a goroutine of another test
			// allocating between the two reads raises one, garbage it
			// drops lowers one: the charge must cover the lowest and
			// not be wildly above the highest.
			lowest, highest := logtest.Measure(3, func() int64 {
				kept := make([]slog.Record, n)
				total = 0
				before := logtest.HeapInUse()
				for i := range src {
					var size int
					kept[i], size = Record(src[i])
					total += size
				}
				grown := logtest.HeapInUse() - before
				runtime.KeepAlive(kept)
				return grown
			}, covered)
			runtime.KeepAlive(src)
			if float64(total) < 0.9*float64(lowest) {
				t.Errorf("charged %d bytes for %d bytes of heap", total, lowest)
			}
			if highest > 0 && float64(total) > 4*float64(highest)+64*1024 {
				t.Errorf("charged %d bytes for only %d bytes of heap", total, highest)
			}
			t.Logf("charged %d, heap grew %d to %d", total, lowest, highest)
		})
	}
}

// TestSnapshotSharesNothingMutable mutates everything the caller logged
// while other goroutines read the snapshot; the race detector fails the
// test if anything is shared.
func TestSnapshotSharesNothingMutable(t *testing.T) {
	m := map[string]any{"list": []int{1, 2, 3}, "node": tree(3), "bytes": []byte("abc")}
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Any("m", m), slog.Group("g", slog.Any("s", []string{"x"})))
	s, _ := Record(r)
	want := render(t, slog.GroupValue(recordAttrs(s)...), false)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got := render(t, slog.GroupValue(recordAttrs(s)...), false); got != want {
				t.Errorf("snapshot changed: %s", got)
			}
		})
	}
	wg.Go(func() {
		m["list"].([]int)[0] = 9
		m["node"].(*plainNode).Children[0].Name = "changed"
		m["bytes"].([]byte)[0] = 'z'
		m["new"] = 1
	})
	wg.Wait()
}

func recordAttrs(r slog.Record) []slog.Attr {
	var as []slog.Attr
	r.Attrs(func(a slog.Attr) bool { as = append(as, a); return true })
	return as
}

type hiddenDAG struct {
	A, B *hiddenDAG
	n    int
}

// TestFreezeBounded checks that a value whose encoding would visit an
// exponential number of parts is frozen as an error text, at once, rather
// than encoded.
func TestFreezeBounded(t *testing.T) {
	var d *hiddenDAG
	for i := range 40 {
		d = &hiddenDAG{A: d, B: d, n: i}
	}
	got, _ := Value(slog.AnyValue(d))
	f, ok := got.Any().(Frozen)
	if !ok {
		t.Fatalf("got %T, want Frozen", got.Any())
	}
	if !strings.HasPrefix(f.String(), "!ERROR:value too large") {
		t.Fatalf("frozen as %.80q", f.String())
	}
	// A long list is not too large: one part per node.
	var l *hiddenDAG
	for i := range 10000 {
		l = &hiddenDAG{A: l, n: i}
	}
	got, _ = Value(slog.AnyValue(l))
	if s := got.Any().(Frozen).String(); strings.HasPrefix(s, "!ERROR") {
		t.Fatalf("list frozen as %.80q", s)
	}
}

// groupOf is a LogValuer resolving to a group of its attributes.
type groupOf []slog.Attr

func (g groupOf) LogValue() slog.Value { return slog.GroupValue(g...) }
