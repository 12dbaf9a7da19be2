package async

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// endingSink blocks its first call until release is closed and then ends
// it as end says: returning nil or an error, panicking, or ending its
// goroutine (runtime.Goexit). Later calls return at once, the same way.
type endingSink struct {
	entered, release chan struct{}
	end              string
	calls            atomic.Int64
}

func (s *endingSink) call() error {
	if s.calls.Add(1) == 1 {
		close(s.entered)
		<-s.release
	}
	switch s.end {
	case "error":
		return errors.New("sink failed")
	case "panic":
		panic("sink panicked")
	case "goexit":
		runtime.Goexit()
	}
	return nil
}

func (s *endingSink) Enabled(context.Context, slog.Level) bool  { return true }
func (s *endingSink) Handle(context.Context, slog.Record) error { return s.call() }
func (s *endingSink) WithAttrs([]slog.Attr) slog.Handler        { return s }
func (s *endingSink) WithGroup(string) slog.Handler             { return s }
func (s *endingSink) Write(p []byte) (int, error) {
	if err := s.call(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// TestCloseConservedWhilePolled reads Stats without pause from another
// goroutine while producers log, Close gives up at its deadline on a sink
// that holds a record, and the sink then returns, fails, panics or ends
// its goroutine: every result obeys the conservation law, and in the end
// nothing is in flight and every accepted record is accounted for.
func TestCloseConservedWhilePolled(t *testing.T) {
	type closer interface {
		Close(context.Context) error
		Stats() Stats
	}
	forms := []struct {
		name string
		make func(s *endingSink) (log func(), c closer, done <-chan struct{})
	}{
		{"handler", func(s *endingSink) (func(), closer, <-chan struct{}) {
			h := NewHandler(s, Options{Capacity: 64, StallTimeout: 2 * time.Millisecond})
			return func() { slog.New(h).Info("m") }, h, h.c.done
		}},
		{"writer", func(s *endingSink) (func(), closer, <-chan struct{}) {
			w := NewWriter(s, Options{Capacity: 64, StallTimeout: 2 * time.Millisecond})
			return func() { w.Write([]byte("m\n")) }, w, w.p.done
		}},
	}
	for _, form := range forms {
		for _, end := range []string{"nil", "error", "panic", "goexit"} {
			t.Run(form.name+"/"+end, func(t *testing.T) {
				leakcheck.Check(t)
				sink := &endingSink{entered: make(chan struct{}), release: make(chan struct{}), end: end}
				log, c, done := form.make(sink)
				stop := make(chan struct{})
				var polls sync.WaitGroup
				var broken atomic.Pointer[Stats]
				polls.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if st := c.Stats(); !conserved(st) {
							broken.CompareAndSwap(nil, &st)
						}
					}
				})
				log()
				<-sink.entered
				var producers sync.WaitGroup
				for range 4 {
					producers.Go(func() {
						for range 50 {
							log()
						}
					})
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
				closeErr := c.Close(ctx)
				cancel()
				producers.Wait()
				if closeErr == nil {
					t.Errorf("Close returned nil with the sink holding a record past its deadline")
				}
				close(sink.release)
				<-done // the drain goroutine settled the record and returned
				close(stop)
				polls.Wait()
				if st := broken.Load(); st != nil {
					t.Errorf("a Stats read during Close broke the conservation law: %+v", *st)
				}
				st := c.Stats()
				if !conserved(st) || st.InFlight != 0 || st.QueueDepth != 0 {
					t.Errorf("Stats once the sink returned: %+v", st)
				}
			})
		}
	}
}
