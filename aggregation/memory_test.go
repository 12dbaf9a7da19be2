package aggregation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// memoryLimit is the bound of SPEC 4 on the cache's memory with 1000
// groups of large, unique records.
const memoryLimit = 10_000_000

// poolNode is a structured value of exported fields, deep-copied when held.
type poolNode struct {
	Name     string
	Tags     []string
	Counters map[string]int
	Children []poolNode
}

// lockedConn holds unexported state (a held lock): it is encoded when held.
type lockedConn struct {
	mu   sync.Mutex
	Addr string
	Buf  []byte
}

// largeShapes are records built to hold as much as they can: each returns
// the attributes of group g's records, unique to g, fresh on every call.
var largeShapes = []struct {
	name  string
	evict bool // also log as many groups more, to evict the first
	attrs func(g int) []slog.Attr
}{
	{"long strings", true, func(g int) []slog.Attr {
		as := make([]slog.Attr, 12)
		for i := range as {
			as[i] = slog.String(fmt.Sprintf("s%d", i), fmt.Sprintf("%08d", g)+strings.Repeat("x", 2<<10))
		}
		return as
	}},
	{"many attributes", false, func(g int) []slog.Attr {
		as := make([]slog.Attr, 400)
		for i := range as {
			as[i] = slog.Int(fmt.Sprintf("attribute_%d", i), g)
		}
		return as
	}},
	{"large maps", false, func(g int) []slog.Attr {
		// Each map's JSON is just over MaxValueBytes: held as cut text.
		as := make([]slog.Attr, 8)
		for i := range as {
			m := make(map[string]any, 10)
			for k := range 10 {
				m[fmt.Sprintf("key_%d", k)] = fmt.Sprintf("%d-%s", g, strings.Repeat("v", 100))
			}
			as[i] = slog.Any(fmt.Sprintf("m%d", i), m)
		}
		return as
	}},
	{"small maps, heap larger than JSON", false, func(g int) []slog.Attr {
		as := make([]slog.Attr, 20)
		for i := range as {
			m := make(map[string]int, 12)
			for k := range 12 {
				m[fmt.Sprintf("%c", 'a'+k)] = g
			}
			as[i] = slog.Any(fmt.Sprintf("m%d", i), m)
		}
		return as
	}},
	{"structs", false, func(g int) []slog.Attr {
		as := make([]slog.Attr, 20)
		for i := range as {
			// A pointer at the top only: fmt prints deeper ones as
			// addresses, which differ between records.
			n := &poolNode{Name: fmt.Sprint(g), Tags: []string{"a", "b"}, Counters: map[string]int{"x": g}}
			for range 3 {
				n.Children = append(n.Children, poolNode{Name: "child", Tags: []string{fmt.Sprint(g)}})
			}
			as[i] = slog.Any(fmt.Sprintf("n%d", i), n)
		}
		return as
	}},
	{"unexported state", false, func(g int) []slog.Attr {
		as := make([]slog.Attr, 20)
		for i := range as {
			c := &lockedConn{Addr: fmt.Sprint(g), Buf: make([]byte, 100)}
			c.mu.Lock()
			as[i] = slog.Any(fmt.Sprintf("c%d", i), c)
		}
		return as
	}},
	{"groups", false, func(g int) []slog.Attr {
		inner := make([]any, 0, 40)
		for i := range 40 {
			inner = append(inner, slog.String(fmt.Sprintf("k%d", i), fmt.Sprintf("%d-%s", g, strings.Repeat("v", 200))))
		}
		return []slog.Attr{slog.Group("a", slog.Group("b", inner...), slog.Group("c", inner...))}
	}},
	{"raw JSON, bytes, errors", false, func(g int) []slog.Attr {
		as := make([]slog.Attr, 0, 18)
		for i := range 6 {
			raw := json.RawMessage(fmt.Sprintf(`{"g":%d,"pad":"%s"}`, g, strings.Repeat("p", 900)))
			as = append(as,
				slog.Any(fmt.Sprintf("raw%d", i), raw),
				slog.Any(fmt.Sprintf("bytes%d", i), []byte(strings.Repeat("b", 300))),
				slog.Any(fmt.Sprintf("err%d", i), errors.New(fmt.Sprint(g)+strings.Repeat("e", 3000))))
		}
		return as
	}},
}

// TestMemoryBounded fills the cache with 1000 groups of unique records of
// each large shape, every group holding an open summary, and checks the
// heap the cache holds (measured after GC) and Stats.Bytes against the
// 10 MB bound, and that Stats.Bytes charges at least what is held. Then it
// logs as many groups more and checks that they evict rather than grow the
// cache (for one shape: the others cost the same time for nothing new).
func TestMemoryBounded(t *testing.T) {
	const groups = defaultMaxGroups
	long := strings.Repeat("m", 16<<10)
	for _, shape := range largeShapes {
		t.Run(shape.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var (
					written *atomic.Int64
					h       *Handler
					before  int64
					charged = int64(math.MaxInt64)
				)
				defer func() { _ = h.Close(context.Background()) }()
				logGroups := func(from, to int) {
					log := slog.New(h)
					for g := from; g < to; g++ {
						for range 2 {
							log.LogAttrs(t.Context(), slog.LevelDebug, poolMsg+long, shape.attrs(g)...)
						}
					}
				}
				// fill returns the heap a fresh cache holds once it has
				// every group with an open summary.
				fill := func() int64 {
					if h != nil {
						closeOrFail(t, h)
					}
					written = new(atomic.Int64)
					// One record of a group passes, the second opens its summary.
					h = NewHandler(countingHandler{written}, defaultsWith(func(o *Options) { o.Burst = 1 }))
					before = heapInUse()
					logGroups(0, groups)
					held := heapInUse() - before
					st := h.Stats()
					if st.Groups != groups || st.Folded != groups {
						t.Fatalf("want %d groups with an open summary each, got %+v", groups, st)
					}
					charged = min(charged, st.Bytes)
					return held
				}
				// The lowest of up to three measures: a goroutine of
				// another test allocating between the two reads raises
				// one, and the bounds must hold for the lowest.
				held, _ := logtest.Measure(3, fill, func(lowest, _ int64) bool {
					return lowest < memoryLimit && lowest <= charged
				})
				t.Logf("heap %.2f MB, Stats.Bytes %.2f MB", float64(held)/(1<<20), float64(charged)/(1<<20))
				if held >= memoryLimit || charged >= memoryLimit {
					t.Errorf("cache holds %d bytes of heap (Stats.Bytes %d), want under %d", held, charged, memoryLimit)
				}
				if held > charged {
					t.Errorf("cache holds %d bytes of heap but charges only %d", held, charged)
				}

				if !shape.evict {
					return
				}
				logGroups(groups, 2*groups)
				more := heapInUse() - before
				st := h.Stats()
				if st.Groups != groups || st.GroupsEvicted != groups || st.Summaries.Evicted != groups {
					t.Errorf("want %d groups and %d evicted with their summaries, got %+v", groups, groups, st)
				}
				if more >= memoryLimit {
					t.Errorf("heap grew from %d to %d bytes with more groups, want it under %d", held, more, memoryLimit)
				}
				runtime.KeepAlive(h)
				closeOrFail(t, h)
				if got, want := written.Load(), int64(2*groups*2); got != want {
					t.Errorf("%d records and summaries written, want %d", got, want)
				}
			})
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
