package async

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// lineChecker is an underlying writer that checks every line it is given
// is one whole record "r <producer> <seq> <padding>" seen once, and counts
// the records of each producer.
type lineChecker struct {
	mu   sync.Mutex
	seen map[string]bool
	per  []int
	errs []string
}

func (w *lineChecker) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for line := range bytes.Lines(p) {
		var g, i int
		var pad string
		if _, err := fmt.Sscanf(string(line), "r %d %d %s\n", &g, &i, &pad); err != nil || !strings.HasSuffix(string(line), "\n") || strings.Trim(pad, "x") != "" {
			w.errs = append(w.errs, fmt.Sprintf("torn line %q", line))
			continue
		}
		if w.seen[string(line)] {
			w.errs = append(w.errs, fmt.Sprintf("line written twice %q", line))
		}
		w.seen[string(line)] = true
		w.per[g]++
	}
	runtime.Gosched() // let producers fill blocks meanwhile
	return len(p), nil
}

// TestWriterPushAllocatingRacesCloseAndFlush: producers that make new
// blocks with the queue's lock released (small blocks, records longer
// than a block among them) race Flush, Stats and Close. Every Stats read
// holds the accounting law; every Flush returns having delivered what was
// written before it; after Close every record was written once, whole
// (queued or synchronously after Close), nothing is queued or in flight,
// and no goroutine is left.
func TestWriterPushAllocatingRacesCloseAndFlush(t *testing.T) {
	leakcheck.Check(t)
	const producers, perProducer = 6, 400
	for round := range 4 {
		sink := &lineChecker{seen: map[string]bool{}, per: make([]int, producers)}
		w := NewWriter(sink, Options{Capacity: 64, BatchSize: 4, BatchBytes: 96, MaxBytes: 1 << 20, StallTimeout: time.Hour})
		var done [producers]atomic.Int64 // Writes returned, by producer
		var wg, readers sync.WaitGroup
		stop := make(chan struct{})
		var lawErr atomic.Value
		readers.Add(2)
		go func() { // Stats: the law at every read
			defer readers.Done()
			for {
				s := w.Stats()
				if sum := s.Written + s.Failed + s.Skipped + s.Dropped + s.Lost + uint64(s.QueueDepth) + uint64(s.InFlight); s.Accepted != sum {
					lawErr.Store(fmt.Sprintf("Accepted %d != %d: %+v", s.Accepted, sum, s))
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		var flushErr atomic.Value
		go func() { // Flush: delivers what was written before it
			defer readers.Done()
			for {
				var before [producers]int64
				for g := range before {
					before[g] = done[g].Load()
				}
				if err := w.Flush(context.Background()); err != nil {
					return // closed
				}
				sink.mu.Lock()
				for g := range before {
					if int64(sink.per[g]) < before[g] {
						flushErr.Store(fmt.Sprintf("producer %d: %d records written when Flush returned, %d before it", g, sink.per[g], before[g]))
					}
				}
				sink.mu.Unlock()
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		closeAt := int64(perProducer * producers * (round + 1) / 5)
		var total atomic.Int64
		var closeOnce sync.Once
		for g := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perProducer {
					pad := strings.Repeat("x", 1+(i*7+g*13)%150) // some longer than a block
					if _, err := fmt.Fprintf(w, "r %d %d %s\n", g, i, pad); err != nil {
						t.Errorf("Write: %v", err)
					}
					done[g].Add(1)
					if total.Add(1) == closeAt {
						closeOnce.Do(func() {
							if err := w.Close(context.Background()); err != nil {
								t.Errorf("Close: %v", err)
							}
						})
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		readers.Wait()
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if v := lawErr.Load(); v != nil {
			t.Fatalf("round %d: %s", round, v)
		}
		if v := flushErr.Load(); v != nil {
			t.Fatalf("round %d: %s", round, v)
		}
		s := w.Stats()
		if s.QueueDepth != 0 || s.InFlight != 0 || s.HighWater > 64 || s.Dropped != 0 || s.Lost != 0 || s.Failed != 0 || s.DroppedAfterClose != 0 {
			t.Fatalf("round %d: after Close %+v", round, s)
		}
		if s.Accepted+s.Synchronous != producers*perProducer || s.Written != s.Accepted {
			t.Fatalf("round %d: Accepted %d + Synchronous %d, Written %d; want %d Writes, every accepted one written", round, s.Accepted, s.Synchronous, s.Written, producers*perProducer)
		}
		sink.mu.Lock()
		if len(sink.errs) > 0 {
			t.Fatalf("round %d: %d bad lines, first %s", round, len(sink.errs), sink.errs[0])
		}
		for g, n := range sink.per {
			if n != perProducer {
				t.Fatalf("round %d: producer %d: %d records written, want %d", round, g, n, perProducer)
			}
		}
		sink.mu.Unlock()
	}
}
