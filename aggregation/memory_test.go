package aggregation

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestMemoryBounded fills the cache with 1000 groups of unique records
// carrying 1 KiB of attributes each, every group holding an open summary,
// and measures the heap; then logs three times as many groups more and
// checks that they evict rather than grow the cache.
func TestMemoryBounded(t *testing.T) {
	leakcheck.Check(t)
	const limit = 10 << 20
	clock := newFakeClock()
	pad := strings.Repeat("x", 112)
	logGroups := func(log *slog.Logger, from, to int) {
		for g := from; g < to; g++ {
			attrs := make([]any, 0, 16)
			for i := range 8 {
				// 8 attributes of 128 bytes: 1 KiB, unique per group.
				attrs = append(attrs, fmt.Sprintf("attr%d", i), fmt.Sprintf("%016d%s", g, pad))
			}
			for range DefaultBurst + 1 {
				log.Debug(poolMsg, attrs...)
			}
		}
	}

	before := heapInUse()
	written := new(atomic.Int64)
	h := NewHandler(countingHandler{written}, Options{Now: clock.Now})
	t.Cleanup(func() { _ = h.Close() })
	log := slog.New(h)
	logGroups(log, 0, DefaultMaxGroups)
	full := heapInUse() - before
	st := h.Stats()
	if st.Groups != DefaultMaxGroups || st.Folded != DefaultMaxGroups {
		t.Fatalf("want %d groups with an open summary each, got %+v", DefaultMaxGroups, st)
	}
	t.Logf("1000 groups of 1 KiB records, each with an open summary: heap %.2f MB, Stats.Bytes %.2f MB",
		float64(full)/(1<<20), float64(st.Bytes)/(1<<20))
	if full >= limit || st.Bytes >= limit {
		t.Errorf("cache uses %d bytes of heap (Stats.Bytes %d), want under %d", full, st.Bytes, limit)
	}

	logGroups(log, DefaultMaxGroups, 4*DefaultMaxGroups)
	more := heapInUse() - before
	st = h.Stats()
	t.Logf("after 3000 more groups: heap %.2f MB, Stats.Bytes %.2f MB, %d groups evicted",
		float64(more)/(1<<20), float64(st.Bytes)/(1<<20), st.GroupsEvicted)
	if st.Groups != DefaultMaxGroups || st.GroupsEvicted != 3*DefaultMaxGroups || st.Summaries.Evicted != 3*DefaultMaxGroups {
		t.Errorf("want 1000 groups and 3000 evicted with their summaries, got %+v", st)
	}
	if more >= limit || more > full+full/2+(1<<20) {
		t.Errorf("heap grew from %d to %d bytes with more groups, want it bounded", full, more)
	}
	runtime.KeepAlive(h)
	closeOrFail(t, h)
	if got, want := written.Load(), int64(4*DefaultMaxGroups*(DefaultBurst+1)); got != want {
		t.Errorf("%d records and summaries written, want %d", got, want)
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
