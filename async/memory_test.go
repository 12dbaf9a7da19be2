package async

import (
	"context"
	"io"
	"log/slog"
	"math"
	"runtime"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
)

// heapGrowth returns how many bytes of heap the value made by mk holds,
// measured after runtime.GC() before and after, with the value still alive.
func heapGrowth(mk func() *Handler) (int64, *Handler) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := mk()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc), h
}

// TestHandlerMemoryBound: a Handler allocates its slots when it is made,
// 16 bytes for each slot of Capacity and of Reserved, and 8 bytes for each
// record of a batch, whatever the sizes asked for: Capacity counts as at
// most 1<<24 and BatchSize as at most 1<<16, so a typo in a size costs at
// most 384.5 MiB, as Options.Capacity documents.
func TestHandlerMemoryBound(t *testing.T) {
	const slack = 256 << 10 // the goroutine, gates, pools and test noise
	tests := []struct {
		name string
		opts Options
		want int64 // bytes the slots and the batch take
	}{
		{"small, no reserve", Options{Capacity: 1 << 16}, 16<<16 + 8*512},
		{"small, half reserved", Options{Capacity: 1 << 16, Reserved: 1 << 15}, 16<<16 + 16<<15 + 8*512},
		{"batch above the capacity", Options{Capacity: 1 << 12, BatchSize: math.MaxInt}, 16<<12 + 8<<12},
		{"batch above its bound", Options{Capacity: 1 << 18, BatchSize: math.MaxInt}, 16<<18 + 8<<16},
		{"typo: DefaultOptions' reserve", func() Options {
			o := DefaultOptions()
			o.Capacity, o.BatchSize = math.MaxInt, math.MaxInt
			return o
		}(), 16<<24 + 16*1024 + 8<<16},
		{"typo: everything", Options{Capacity: math.MaxInt, Reserved: math.MaxInt, BatchSize: math.MaxInt}, 16<<24 + 16<<23 + 8<<16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Three measures: garbage of earlier tests freed by the first
			// GC lowers one, a goroutine allocating meanwhile raises one;
			// the bound must hold for the lowest, the sanity check for the
			// highest.
			lowest, highest := int64(math.MaxInt64), int64(math.MinInt64)
			for range 3 {
				got, h := heapGrowth(func() *Handler { return NewHandler(slog.DiscardHandler, tt.opts) })
				lowest, highest = min(lowest, got), max(highest, got)
				if err := h.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				runtime.KeepAlive(h)
			}
			t.Logf("heap +%d to +%d bytes (%.1f MiB), slots and batch %d bytes", lowest, highest, float64(lowest)/(1<<20), tt.want)
			if lowest > tt.want+slack {
				t.Errorf("NewHandler(%+v) holds %d bytes, want at most %d + %d", tt.opts, lowest, tt.want, slack)
			}
			if highest < tt.want-slack {
				t.Errorf("NewHandler(%+v) holds %d bytes, less than the %d its slots take: the measure is broken", tt.opts, highest, tt.want)
			}
		})
	}
}

// TestWriterMemoryBound: a Writer allocates no slots up front (its queue
// is bounded by MaxBytes and grows with what is queued), whatever Capacity
// and BatchSize say.
func TestWriterMemoryBound(t *testing.T) {
	const bound = 256 << 10 // the goroutine, gates, pools and test noise
	opts := Options{Capacity: math.MaxInt, Reserved: math.MaxInt, BatchSize: math.MaxInt}
	// The lowest of up to three measures: a goroutine of another test
	// allocating between the two reads raises one.
	lowest, _ := logtest.Measure(3, func() int64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := NewWriter(io.Discard, opts)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		runtime.KeepAlive(w)
		return int64(after.HeapAlloc) - int64(before.HeapAlloc)
	}, func(lowest, _ int64) bool { return lowest <= bound })
	t.Logf("heap +%d bytes", lowest)
	if lowest > bound {
		t.Errorf("NewWriter with every size at its maximum holds %d bytes, want at most %d", lowest, bound)
	}
}
