package async

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gatedWriter blocks every Write until gate is closed, then counts the
// lines it was given.
type gatedWriter struct {
	gate  chan struct{}
	lines chan int
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	<-w.gate
	w.lines <- strings.Count(string(p), "\n")
	return len(p), nil
}

// TestConcurrentCloseFirstOwnsTheDrain: the first Close owns the drain and
// only its context can end it. A second Close made while it drains waits
// for it only as long as its own context allows, then returns an error
// saying so and abandons nothing; once the sink is released the first
// Close delivers everything (Lost 0) and returns nil, and a third Close
// with an ended context returns that result, nil.
func TestConcurrentCloseFirstOwnsTheDrain(t *testing.T) {
	const records = 10
	type closer interface {
		Close(context.Context) error
		Stats() Stats
	}
	tests := []struct {
		name string
		// make returns the value under test, its logger and a function
		// that releases its stuck sink and returns how many records it
		// received.
		make func() (closer, *slog.Logger, func() int)
	}{
		{"Handler", func() (closer, *slog.Logger, func() int) {
			sink := newRecordingSink()
			sink.gate = make(chan struct{})
			h := NewHandler(sink, Options{Capacity: 64})
			return h, slog.New(h), func() int {
				close(sink.gate)
				synctest.Wait()
				sink.mu.Lock()
				defer sink.mu.Unlock()
				return sink.calls
			}
		}},
		{"Writer", func() (closer, *slog.Logger, func() int) {
			sink := &gatedWriter{gate: make(chan struct{}), lines: make(chan int, 2*records)}
			w := NewWriter(sink, Options{Capacity: 64})
			return w, slog.New(slog.NewJSONHandler(w, nil)), func() int {
				close(sink.gate)
				synctest.Wait()
				n := 0
				for {
					select {
					case k := <-sink.lines:
						n += k
					default:
						return n
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, l, release := tt.make()
				for n := range records {
					l.Info("m", "n", n)
				}
				synctest.Wait() // the drain goroutine is stuck in the sink

				first := make(chan error, 1)
				go func() { first <- c.Close(context.Background()) }()
				synctest.Wait() // the first Close is draining

				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				err := c.Close(ctx)
				cancel()
				if waited := time.Since(start); waited != 100*time.Millisecond {
					t.Errorf("second Close returned after %v, want exactly its 100ms timeout", waited)
				}
				want := "async: Close: context deadline exceeded while an earlier Close was still draining"
				if err == nil || err.Error() != want || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("second Close = %v, want %q wrapping context.DeadlineExceeded", err, want)
				}
				select {
				case err := <-first:
					t.Fatalf("the first Close returned %v while its sink was stuck: the second Close's deadline ended the drain", err)
				default:
				}
				if st := c.Stats(); st.Lost != 0 {
					t.Fatalf("after the second Close gave up: Stats.Lost = %d, want 0 (it abandons nothing)", st.Lost)
				}

				if got := release(); got != records {
					t.Errorf("the sink received %d records, want all %d", got, records)
				}
				if err := <-first; err != nil {
					t.Fatalf("first Close = %v, want nil", err)
				}
				st := c.Stats()
				if diff := cmp.Diff(Stats{Accepted: records, Written: records, Lost: 0}, Stats{Accepted: st.Accepted, Written: st.Written, Lost: st.Lost}); diff != "" {
					t.Errorf("Stats (-want +got):\n%s", diff)
				}

				ended, cancel := context.WithCancel(context.Background())
				cancel()
				for range 100 { // a select with both ready would pick at random
					if err := c.Close(ended); err != nil {
						t.Fatalf("Close after the first finished, with an ended context = %v, want the first result, nil", err)
					}
				}
			})
		})
	}
}
