package async

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// exitingSink is a handler that ends the goroutine calling it
// (runtime.Goexit, as t.FailNow in a test sink does) on records whose
// message is "exit" and in Enabled for WARN, and panics on records whose
// message is "panic". Its first Handle waits for gate, if gate is not nil.
type exitingSink struct {
	next     slog.Handler
	gate     chan struct{}
	gateOnce *sync.Once
}

func (s *exitingSink) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelWarn {
		runtime.Goexit()
	}
	return s.next.Enabled(ctx, l)
}

func (s *exitingSink) Handle(ctx context.Context, r slog.Record) error {
	if s.gate != nil {
		s.gateOnce.Do(func() { <-s.gate })
	}
	switch r.Message {
	case "exit", dropReportMessage:
		runtime.Goexit()
	case "panic":
		panic("sink exploded")
	}
	return s.next.Handle(ctx, r)
}

func (s *exitingSink) WithAttrs(as []slog.Attr) slog.Handler {
	c := *s
	c.next = s.next.WithAttrs(as)
	return &c
}

func (s *exitingSink) WithGroup(name string) slog.Handler {
	c := *s
	c.next = s.next.WithGroup(name)
	return &c
}

// sinkCounts are the Stats a sink that ends the drain goroutine changes.
type sinkCounts struct {
	Accepted, Written, Failed, Dropped, Lost, Reported, Reports, SinkPanics, WriteErrors uint64
	QueueDepth                                                                           int
}

func countsOf(st Stats) sinkCounts {
	return sinkCounts{
		Accepted: st.Accepted, Written: st.Written, Failed: st.Failed, Dropped: st.Dropped, Lost: st.Lost,
		Reported: st.Reported, Reports: st.Reports, SinkPanics: st.SinkPanics, WriteErrors: st.WriteErrors,
		QueueDepth: st.QueueDepth,
	}
}

// TestHandlerSurvivesSinkGoexit: a sink that ends the drain goroutine
// (runtime.Goexit) while handling a record, in Enabled, or while writing a
// drop report, before or during Close, costs exactly the record of that
// call (Failed) and nothing else: a new drain goroutine writes everything
// queued before and after, in order, Close waits for it, the counts add
// up, and no goroutine is left behind. A panicking sink, for comparison,
// costs the same.
func TestHandlerSurvivesSinkGoexit(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		// before are logged while the sink holds its first call (if
		// gated), after once the drain has settled the first ones.
		before, after []string
		gated         bool
		closeEarly    bool // Close starts while the sink holds its first call
		want          []string
		wantCounts    sinkCounts
	}{{
		name:       "first record",
		before:     []string{"exit"},
		after:      []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"},
		want:       []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"},
		wantCounts: sinkCounts{Accepted: 11, Written: 10, Failed: 1, SinkPanics: 1},
	}, {
		name:       "records of one batch, again and again",
		before:     []string{"a", "exit", "b", "exit", "exit", "c"},
		after:      []string{"d", "exit", "e"},
		gated:      true,
		want:       []string{"a", "b", "c", "d", "e"},
		wantCounts: sinkCounts{Accepted: 9, Written: 5, Failed: 4, SinkPanics: 4},
	}, {
		name:       "in Enabled",
		before:     []string{"a", "WARN", "b"},
		after:      []string{"WARN", "c"},
		gated:      true,
		want:       []string{"a", "b", "c"},
		wantCounts: sinkCounts{Accepted: 5, Written: 3, Failed: 2, SinkPanics: 2},
	}, {
		name:       "during Close",
		before:     []string{"a", "exit", "b", "exit", "c"},
		gated:      true,
		closeEarly: true,
		want:       []string{"a", "b", "c"},
		wantCounts: sinkCounts{Accepted: 5, Written: 3, Failed: 2, SinkPanics: 2},
	}, {
		name:       "panic during Close",
		before:     []string{"a", "panic", "b", "panic", "c"},
		gated:      true,
		closeEarly: true,
		want:       []string{"a", "b", "c"},
		wantCounts: sinkCounts{Accepted: 5, Written: 3, Failed: 2, SinkPanics: 2},
	}, {
		// Capacity 4 and no stall time: of b0..b5 the two oldest are
		// dropped; the report of them ends the drain goroutine before the
		// batch it precedes is written.
		name:       "in the drop report",
		opts:       Options{Capacity: 4, ReportInterval: time.Nanosecond},
		before:     []string{"a", "b0", "b1", "b2", "b3", "b4", "b5"},
		after:      []string{"c"},
		gated:      true,
		want:       []string{"a", "b2", "b3", "b4", "b5", "c"},
		wantCounts: sinkCounts{Accepted: 8, Written: 6, Dropped: 2, Reported: 2, Reports: 1, SinkPanics: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var buf logtest.Buffer
				sink := &exitingSink{next: slog.NewJSONHandler(&buf, nil), gateOnce: new(sync.Once)}
				if tt.gated {
					sink.gate = make(chan struct{})
				}
				h := NewHandler(sink, tt.opts)
				logAll := func(msgs []string) {
					for _, m := range msgs {
						level := slog.LevelInfo
						if m == "WARN" {
							level = slog.LevelWarn
						}
						// Handle directly: a Logger would ask Enabled on this goroutine.
						if err := h.Handle(context.Background(), slog.NewRecord(time.Now(), level, m, 0)); err != nil {
							t.Fatalf("Handle(%q) = %v", m, err)
						}
					}
				}
				logAll(tt.before[:1])
				synctest.Wait() // the drain holds the first record in the sink, or is done with it
				logAll(tt.before[1:])
				closed := make(chan error, 1)
				if tt.closeEarly {
					go func() { closed <- h.Close(context.Background()) }()
					synctest.Wait() // Close waits on the drain
				}
				if tt.gated {
					close(sink.gate)
				}
				synctest.Wait() // the drain has written or settled everything so far
				logAll(tt.after)
				if !tt.closeEarly {
					closed <- h.Close(context.Background())
				}
				if err := <-closed; err != nil {
					t.Fatalf("Close = %v", err)
				}
				var got []string
				for _, line := range buf.Lines(t) {
					got = append(got, line["msg"].(string))
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("records written (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantCounts, countsOf(h.Stats())); diff != "" {
					t.Errorf("Stats (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// writeStep is what one call of a scriptedWriter does: write the first n
// bytes it is given (all if n < 0, without an error even if short), then
// end the calling goroutine if exit.
type writeStep struct {
	n    int
	exit bool
}

// scriptedWriter follows its steps call by call, then writes everything.
// Its first call waits for gate.
type scriptedWriter struct {
	mu    sync.Mutex
	out   strings.Builder
	steps []writeStep
	calls int
	gate  chan struct{}
}

func (w *scriptedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	call := w.calls
	w.calls++
	w.mu.Unlock()
	if call == 0 {
		<-w.gate
	}
	step := writeStep{n: -1}
	if call < len(w.steps) {
		step = w.steps[call]
	}
	n := len(p)
	if step.n >= 0 {
		n = min(step.n, len(p))
	}
	w.mu.Lock()
	w.out.Write(p[:n])
	w.mu.Unlock()
	if step.exit {
		runtime.Goexit()
	}
	return n, nil
}

// TestWriterSurvivesWriterGoexit: an underlying writer that ends the drain
// goroutine in the middle of a block costs exactly the block's records it
// had not wholly written when it did (a line it cut is ended before the
// next write); a new drain goroutine writes the rest, Close waits for it,
// and the counts add up.
func TestWriterSurvivesWriterGoexit(t *testing.T) {
	line := func(m string) string { return fmt.Sprintf(`{"msg":%q}`, m) + "\n" }
	r := len(line("r0")) // every line below has this length
	tests := []struct {
		name       string
		steps      []writeStep // call 0 holds "a" until the others are queued in one block
		want       string
		wantCounts sinkCounts
	}{{
		name:       "at once",
		steps:      []writeStep{{n: -1}, {n: 0, exit: true}},
		want:       line("a") + line("l0") + line("l1"),
		wantCounts: sinkCounts{Accepted: 8, Written: 3, Failed: 5, SinkPanics: 1},
	}, {
		name:  "after two whole records",
		steps: []writeStep{{n: -1}, {n: 2 * r}, {n: 0, exit: true}},
		want:  line("a") + line("r0") + line("r1") + line("l0") + line("l1"),
		wantCounts: sinkCounts{Accepted: 8, Written: 5, Failed: 3, SinkPanics: 1,
			WriteErrors: 1}, // the short write
	}, {
		name:  "inside a record",
		steps: []writeStep{{n: -1}, {n: r + 3}, {n: 0, exit: true}},
		want:  line("a") + line("r0") + line("r1")[:3] + "\n" + line("l0") + line("l1"),
		wantCounts: sinkCounts{Accepted: 8, Written: 4, Failed: 4, SinkPanics: 1,
			WriteErrors: 1},
	}, {
		name:       "after writing a whole block",
		steps:      []writeStep{{n: -1}, {n: -1, exit: true}},
		want:       line("a") + line("r0") + line("r1") + line("r2") + line("r3") + line("r4") + line("l0") + line("l1"),
		wantCounts: sinkCounts{Accepted: 8, Written: 3, Failed: 5, SinkPanics: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &scriptedWriter{steps: tt.steps, gate: make(chan struct{})}
				w := NewWriter(sink, Options{})
				write := func(msgs ...string) {
					for _, m := range msgs {
						if n, err := w.Write([]byte(line(m))); n != len(line(m)) || err != nil {
							t.Fatalf("Write(%q) = %d, %v", m, n, err)
						}
					}
				}
				write("a")
				synctest.Wait() // the drain holds "a" in the writer
				write("r0", "r1", "r2", "r3", "r4")
				close(sink.gate)
				synctest.Wait() // the block of r0..r4 is settled
				write("l0", "l1")
				if err := w.Close(context.Background()); err != nil {
					t.Fatalf("Close = %v", err)
				}
				sink.mu.Lock()
				got := sink.out.String()
				sink.mu.Unlock()
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantCounts, countsOf(w.Stats())); diff != "" {
					t.Errorf("Stats (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestHandlerSinkGoexitAfterCloseGaveUp: when Close has given up on a call
// the sink is stuck in and the sink then ends the drain goroutine, the
// record in flight counts once, as Failed, the queued ones as Lost, the sink is free for records logged
// after Close, and no drain goroutine is left behind.
func TestHandlerSinkGoexitAfterCloseGaveUp(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var buf logtest.Buffer
		sink := &exitingSink{next: slog.NewJSONHandler(&buf, nil), gate: make(chan struct{}), gateOnce: new(sync.Once)}
		h := NewHandler(sink, Options{})
		l := slog.New(h)
		l.Info("exit")
		synctest.Wait() // the drain holds "exit" in the sink
		l.Info("a")
		l.Info("b")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		const wantErr = "async: close: 2 records lost: the sink did not take them before the deadline; 1 record still being written by the sink: context deadline exceeded"
		if err := h.Close(ctx); err == nil || err.Error() != wantErr {
			t.Fatalf("Close = %v, want %q", err, wantErr)
		}
		close(sink.gate)
		synctest.Wait() // the sink ended the drain goroutine; its successor is gone too
		l.Info("after")
		var got []string
		for _, line := range buf.Lines(t) {
			got = append(got, line["msg"].(string))
		}
		if diff := cmp.Diff([]string{"after"}, got); diff != "" {
			t.Errorf("records written (-want +got):\n%s", diff)
		}
		st := h.Stats()
		if diff := cmp.Diff(sinkCounts{Accepted: 3, Failed: 1, Lost: 2, SinkPanics: 1}, countsOf(st)); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
		if st.Synchronous != 1 {
			t.Errorf("Synchronous = %d, want 1", st.Synchronous)
		}
	})
}
