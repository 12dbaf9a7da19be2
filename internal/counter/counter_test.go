package counter

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestCounterExact adds from many goroutines at once and checks that Load
// returns the exact sum.
func TestCounterExact(t *testing.T) {
	tests := []struct {
		name       string
		goroutines int
		adds       int
		n          uint64
	}{
		{"one goroutine", 1, 10000, 1},
		{"many goroutines", 64, 5000, 1},
		{"large adds", 8, 1000, 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Counter
			var wg sync.WaitGroup
			for range tt.goroutines {
				wg.Go(func() {
					for range tt.adds {
						c.Add(tt.n)
					}
				})
			}
			wg.Wait()
			if got, want := c.Load(), uint64(tt.goroutines*tt.adds)*tt.n; got != want {
				t.Fatalf("Load() = %d, want %d", got, want)
			}
		})
	}
}

// TestCellIndexInRange checks the cell index from many goroutines and
// stack depths.
func TestCellIndexInRange(t *testing.T) {
	var wg sync.WaitGroup
	seen := make([]bool, cells)
	var mu sync.Mutex
	for range 256 {
		wg.Go(func() {
			i := deep(8)
			if i < 0 || i >= cells {
				t.Errorf("cellIndex() = %d, out of [0, %d)", i, cells)
				return
			}
			mu.Lock()
			seen[i] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	n := 0
	for _, s := range seen {
		if s {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("256 goroutines used %d cell(s); want them spread over several", n)
	}
}

func deep(n int) int {
	if n == 0 {
		return cellIndex()
	}
	return deep(n - 1)
}

// BenchmarkCounter compares a Counter with one shared atomic.Uint64 under
// parallel adds.
func BenchmarkCounter(b *testing.B) {
	b.Run("shared-atomic", func(b *testing.B) {
		var c atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Add(1)
			}
		})
	})
	b.Run("sharded", func(b *testing.B) {
		var c Counter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Add(1)
			}
		})
	})
}
