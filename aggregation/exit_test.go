package aggregation

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// exitFault is how exitSink fails on the first summary it is given.
type exitFault int

const (
	goexitInHandle  exitFault = iota // runtime.Goexit in Handle
	goexitInEnabled                  // runtime.Goexit in Enabled
	panicInEnabled                   // panic in Enabled
)

// exitSink passes individual records, fails once on the first summary as
// fault says (ending the goroutine or panicking), then accepts summaries,
// keeping their messages and sizes. Its Enabled fails only while armed,
// so that the test arms it after logging through a Logger.
type exitSink struct {
	fault exitFault

	mu      sync.Mutex
	armed   bool
	failed  bool
	written []string // "message _count" of the summaries accepted
}

func (s *exitSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *exitSink) WithGroup(string) slog.Handler      { return s }

// failNow reports whether this call is the one that fails.
func (s *exitSink) failNow(f exitFault) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.armed || s.failed || s.fault != f {
		return false
	}
	s.failed = true
	return true
}

func (s *exitSink) Enabled(context.Context, slog.Level) bool {
	switch {
	case s.failNow(goexitInEnabled):
		runtime.Goexit()
	case s.failNow(panicInEnabled):
		panic("Enabled panicked")
	}
	return true
}

func (s *exitSink) Handle(_ context.Context, r slog.Record) error {
	n := int64(-1)
	group := int64(-1)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case keyCount:
			n = a.Value.Int64()
		case "g":
			group = a.Value.Int64()
		}
		return true
	})
	if n < 0 {
		return nil
	}
	if s.failNow(goexitInHandle) {
		runtime.Goexit()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written = append(s.written, slog.Int64("g", group).String()+" "+slog.Int64("n", n).String())
	return nil
}

func (s *exitSink) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
}

// conserved reports whether every folded record is written, failed,
// disabled, dropped or in an open summary.
func conserved(st Stats) bool {
	return st.Folded == st.FoldedWritten+st.FoldedFailed+st.FoldedDisabled+st.FoldedDropped
}

// TestGoexitInWriter checks that a next handler that ends the goroutine
// writing summaries (runtime.Goexit, as t.FailNow in a sink does) leaves
// nothing unfinished or uncounted, whichever goroutine writes: the
// summary being written is counted as failed, the ones not started as
// dropped, the error of an asynchronous Flush or Close says so, and a
// later Close returns at once with the outcome.
func TestGoexitInWriter(t *testing.T) {
	const wantErr = "aggregation: the next handler ended the goroutine writing summaries (runtime.Goexit or panic): 1 summary of 1 record failed; 2 summaries of 2 records not written"
	tests := []struct {
		name string
		// op is run in its own goroutine; deadline gives it a context
		// that can end, so that it writes in a goroutine of the handler.
		op       string
		deadline bool
		// wantOpErr is the error op returns, if its goroutine survives.
		wantOpErr string
		// wantLater is the error of a Close made afterwards.
		wantLater string
	}{
		{name: "synchronous Close", op: "Close", wantLater: wantErr},
		{name: "Close with a deadline", op: "Close", deadline: true, wantOpErr: wantErr, wantLater: wantErr},
		{name: "synchronous Flush", op: "Flush"},
		{name: "Flush with a deadline", op: "Flush", deadline: true, wantOpErr: wantErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := &exitSink{fault: goexitInHandle}
				h := NewHandler(sink, defaultsWith(func(o *Options) { o.Burst = 0 }))
				log := slog.New(h)
				for g := range 3 {
					log.Info(poolMsg, "g", g)
				}
				sink.arm()
				ctx := context.Background()
				if tt.deadline {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Hour)
					defer cancel()
				}
				var opErr error
				returned := false
				done := make(chan struct{})
				go func() {
					defer close(done)
					if tt.op == "Close" {
						opErr = h.Close(ctx)
					} else {
						opErr = h.Flush(ctx)
					}
					returned = true
				}()
				<-done
				if returned != (tt.wantOpErr != "") {
					t.Fatalf("%s returned: %v, want %v", tt.op, returned, tt.wantOpErr != "")
				}
				if returned && (opErr == nil || opErr.Error() != tt.wantOpErr) {
					t.Errorf("%s = %v, want %q", tt.op, opErr, tt.wantOpErr)
				}

				later, cancel := context.WithTimeout(context.Background(), time.Millisecond)
				defer cancel()
				start := time.Now()
				err := h.Close(later)
				if elapsed := time.Since(start); elapsed != 0 {
					t.Errorf("later Close returned after %v, want at once", elapsed)
				}
				if got := errString(err); got != tt.wantLater {
					t.Errorf("later Close = %q, want %q", got, tt.wantLater)
				}
				want := Stats{
					Seen: 3, Folded: 3, FoldedFailed: 1, FoldedDropped: 2,
					Summaries:        SummaryCounts{Flush: 3},
					SummariesDropped: 2, SummaryErrors: 1, HandlePanics: 1,
				}
				st := h.Stats()
				if diff := cmp.Diff(want, st); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
				if !conserved(st) {
					t.Errorf("folded records not accounted for: %+v", st)
				}
			})
		})
	}
}

// TestGoexitAtScopeEnd checks the summaries written on the goroutine that
// ends a request scope: if the next handler ends that goroutine on the
// first, it is counted as failed and the others as dropped, and the
// handler stays usable.
func TestGoexitAtScopeEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &exitSink{fault: goexitInHandle}
		h := NewHandler(sink, defaultsWith(func(o *Options) { o.Burst = 0 }))
		scope := reqscope.New("0123456789abcdef0123456789abcdef", trace.SpanContext{}, reqscope.Decision{Sampled: true})
		ctx := reqscope.NewContext(context.Background(), scope)
		for g := range 3 {
			r := slog.NewRecord(time.Now(), slog.LevelInfo, poolMsg, 0)
			r.AddAttrs(slog.Int("g", g))
			if err := h.Handle(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		sink.arm()
		done := make(chan struct{})
		go func() {
			defer close(done)
			scope.End()
		}()
		<-done
		want := Stats{
			Seen: 3, Folded: 3, FoldedFailed: 1, FoldedDropped: 2,
			Summaries:        SummaryCounts{RequestEnd: 3},
			SummariesDropped: 2, SummaryErrors: 1, HandlePanics: 1,
		}
		if diff := cmp.Diff(want, h.Stats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		closeOrFail(t, h)
		if st := h.Stats(); !conserved(st) {
			t.Errorf("folded records not accounted for: %+v", st)
		}
	})
}

// TestFlusherSurvivesExit checks that when the next handler ends the
// flusher (runtime.Goexit) or its Enabled panics while the flusher writes
// a summary, a new flusher takes over at once: the next window ends on
// time with no new record, and the event is counted in HandlePanics.
func TestFlusherSurvivesExit(t *testing.T) {
	for _, fault := range []exitFault{goexitInHandle, goexitInEnabled, panicInEnabled} {
		t.Run([]string{"Goexit in Handle", "Goexit in Enabled", "panic in Enabled"}[fault], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := &exitSink{fault: fault}
				h := NewHandler(sink, defaultsWith(func(o *Options) { o.Burst = 0; o.Window = 10 * time.Second }))
				for g := range 2 {
					r := slog.NewRecord(time.Now(), slog.LevelInfo, poolMsg, 0)
					r.AddAttrs(slog.Int("g", g))
					if err := h.Handle(context.Background(), r); err != nil {
						t.Fatal(err)
					}
					if g == 0 {
						// The groups' windows end at different ticks.
						time.Sleep(2 * time.Second)
						synctest.Wait()
					}
				}
				sink.arm()
				time.Sleep(20 * time.Second)
				synctest.Wait()
				sink.mu.Lock()
				got := append([]string(nil), sink.written...)
				sink.mu.Unlock()
				if diff := cmp.Diff([]string{"g=1 n=1"}, got); diff != "" {
					t.Errorf("summaries written after the flusher was ended (-want +got):\n%s", diff)
				}
				want := Stats{
					Seen: 2, Folded: 2, FoldedWritten: 1, FoldedFailed: 1,
					Summaries:     SummaryCounts{Window: 2},
					SummaryErrors: 1, HandlePanics: 1, GroupsExpired: 2,
				}
				if diff := cmp.Diff(want, h.Stats()); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
				closeOrFail(t, h)
				if n := writers(); n != 0 {
					t.Errorf("%d goroutines of the handler left after Close", n)
				}
			})
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
