package async

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// pausingLines is an io.Writer that keeps the lines written to it; while
// paused, its Writes wait for resume.
type pausingLines struct {
	mu   sync.Mutex
	gate chan struct{} // nil when not paused
	buf  logtest.Buffer
}

func (w *pausingLines) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gate = make(chan struct{})
}

func (w *pausingLines) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.gate)
	w.gate = nil
}

func (w *pausingLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	gate := w.gate
	w.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return w.buf.Write(p)
}

// summary returns each line's message, followed for a drop report by the
// number it reports dropped.
func (w *pausingLines) summary(t *testing.T) []string {
	t.Helper()
	return summarize(t, &w.buf)
}

// summarize returns the message of each line in buf, followed for a drop
// report by the number it reports dropped.
func summarize(t *testing.T, buf *logtest.Buffer) []string {
	t.Helper()
	var out []string
	for _, l := range buf.Lines(t) {
		s := fmt.Sprint(l["msg"])
		if n, ok := l["dropped"]; ok {
			s += fmt.Sprintf(" %v", n)
		}
		out = append(out, s)
	}
	return out
}

// TestFlushWritesPendingDropReport: drops counted before Flush are in the
// sink's output, reported in-band, when Flush returns, even within
// ReportInterval of the previous report (Flush is the last call before
// os.Exit), for drops that made room in a full queue and for a record too
// large to queue (no record queued, the drain idle). With ReportInterval
// zero there is no report, and Flush does not wait for one.
func TestFlushWritesPendingDropReport(t *testing.T) {
	const report = "async: records dropped"
	// fill logs round's records with the sink paused: the first is in the
	// sink, the next four fill the queue and the last three push out the
	// three oldest of them.
	fill := func(w *pausingLines, logger *slog.Logger, round string) {
		w.pause()
		logger.Info(round + "0")
		synctest.Wait() // the drain holds it, paused in the sink
		for i := 1; i < 8; i++ {
			logger.Info(fmt.Sprint(round, i))
		}
	}
	tests := []struct {
		name     string
		interval time.Duration
		second   func(w *pausingLines, logger *slog.Logger) // logs the second round
		want     []string
		reports  uint64
	}{
		{
			name:     "queue full",
			interval: time.Hour,
			second:   func(w *pausingLines, l *slog.Logger) { fill(w, l, "b") },
			want:     []string{"a0", report + " 3", "a4", "a5", "a6", "a7", "b0", report + " 3", "b4", "b5", "b6", "b7"},
			reports:  2,
		},
		{
			name:     "record too large",
			interval: time.Hour,
			second: func(w *pausingLines, l *slog.Logger) {
				w.pause()
				l.Info("big", "v", strings.Repeat("x", 1<<10))
			},
			want:    []string{"a0", report + " 3", "a4", "a5", "a6", "a7", report + " 1"},
			reports: 2,
		},
		{
			name:     "reports off",
			interval: 0,
			second:   func(w *pausingLines, l *slog.Logger) { fill(w, l, "b") },
			want:     []string{"a0", "a4", "a5", "a6", "a7", "b0", "b4", "b5", "b6", "b7"},
		},
	}
	for _, tt := range tests {
		for _, sub := range []string{"Handler", "Writer"} {
			t.Run(tt.name+"/"+sub, func(t *testing.T) {
				leakcheck.Check(t)
				synctest.Test(t, func(t *testing.T) {
					opts := Options{Capacity: 4, MaxBytes: 1 << 9, ReportInterval: tt.interval}
					w := &pausingLines{}
					var f flusher
					var logger *slog.Logger
					if sub == "Handler" {
						h := NewHandler(slog.NewJSONHandler(w, nil), opts)
						f, logger = h, slog.New(h)
					} else {
						x := NewWriter(w, opts)
						f, logger = x, slog.New(slog.NewJSONHandler(x, nil))
					}
					fill(w, logger, "a") // the first report is due at once
					w.resume()
					if err := f.Flush(context.Background()); err != nil {
						t.Fatalf("first Flush: %v", err)
					}
					tt.second(w, logger) // within ReportInterval of the first report
					start := time.Now()
					done := make(chan error, 1)
					go func() { done <- f.Flush(context.Background()) }()
					synctest.Wait()
					w.resume()
					if err := <-done; err != nil {
						t.Fatalf("Flush: %v", err)
					}
					if waited := time.Since(start); waited != 0 {
						t.Errorf("Flush waited %v for ReportInterval", waited)
					}
					if diff := cmp.Diff(tt.want, w.summary(t)); diff != "" {
						t.Errorf("written when Flush returned (-want +got):\n%s", diff)
					}
					st := f.Stats()
					var reported uint64
					if tt.reports > 0 {
						reported = st.Dropped
					}
					if st.Reported != reported || st.Reports != tt.reports {
						t.Errorf("Stats when Flush returned: Reported %d, Reports %d, want %d, %d (Dropped %d)", st.Reported, st.Reports, reported, tt.reports, st.Dropped)
					}
					if err := f.Close(context.Background()); err != nil {
						t.Fatalf("Close: %v", err)
					}
				})
			})
		}
	}
}

// holdingLines is a sink (an io.Writer and a slog.Handler writing JSON
// lines) whose writes of a line containing a held text wait until that
// text is let go.
type holdingLines struct {
	mu   sync.Mutex
	held map[string]chan struct{}
	buf  logtest.Buffer
}

// hold makes the later writes of lines containing s wait until the
// returned function is called.
func (w *holdingLines) hold(s string) (letGo func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held == nil {
		w.held = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	w.held[s] = ch
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.held, s)
		close(ch)
	}
}

func (w *holdingLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	var wait []chan struct{}
	for s, ch := range w.held {
		if strings.Contains(string(p), s) {
			wait = append(wait, ch)
		}
	}
	w.mu.Unlock()
	for _, ch := range wait {
		<-ch
	}
	return w.buf.Write(p)
}

func (w *holdingLines) Enabled(context.Context, slog.Level) bool { return true }
func (w *holdingLines) Handle(ctx context.Context, r slog.Record) error {
	return slog.NewJSONHandler(w, nil).Handle(ctx, r)
}
func (w *holdingLines) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *holdingLines) WithGroup(string) slog.Handler      { return w }

// TestFlushWaitsForReportBeingWritten: a Flush that starts while the drain
// goroutine is inside the sink's write of a drop report, with nothing
// queued, waits until that write has returned: it returns its context's
// error while the write is held, and nil with the report in the output
// once it is let go. Reported counts the report only once written.
func TestFlushWaitsForReportBeingWritten(t *testing.T) {
	const report = "async: records dropped"
	for _, sub := range []string{"Handler", "Writer"} {
		t.Run(sub, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				opts := Options{Capacity: 4, ReportInterval: time.Hour}
				w := &holdingLines{}
				var f flusher
				var logger *slog.Logger
				if sub == "Handler" {
					h := NewHandler(w, opts)
					f, logger = h, slog.New(h)
				} else {
					x := NewWriter(w, opts)
					f, logger = x, slog.New(slog.NewJSONHandler(x, nil))
				}
				// round logs six records while the sink holds the first:
				// four fill the queue, the sixth pushes out the second.
				round := func(name string) {
					letGo := w.hold(name + "0")
					logger.Info(name + "0")
					synctest.Wait()
					for i := 1; i < 6; i++ {
						logger.Info(fmt.Sprint(name, i))
					}
					letGo()
				}
				round("a") // reported at once: the first report
				if err := f.Flush(context.Background()); err != nil {
					t.Fatalf("first Flush: %v", err)
				}
				round("b")
				synctest.Wait() // b2 to b5 written, the drop pending for ReportInterval
				letGo := w.hold(report)
				first := make(chan error, 1)
				go func() { first <- f.Flush(context.Background()) }()
				synctest.Wait() // the drain is inside the report's write
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				err := f.Flush(ctx)
				wantErr := "async: Flush: the in-band report of 1 dropped record not yet written: context deadline exceeded"
				if err == nil || err.Error() != wantErr {
					t.Errorf("Flush while the report is being written = %v, want %q", err, wantErr)
				}
				if st := f.Stats(); st.Reported != 1 || st.Reports != 1 {
					t.Errorf("Stats while the report is being written: Reported %d, Reports %d, want 1, 1", st.Reported, st.Reports)
				}
				letGo()
				if err := <-first; err != nil {
					t.Fatalf("Flush: %v", err)
				}
				want := []string{"a0", report + " 1", "a2", "a3", "a4", "a5", "b0", "b2", "b3", "b4", "b5", report + " 1"}
				if diff := cmp.Diff(want, summarize(t, &w.buf)); diff != "" {
					t.Errorf("written when Flush returned (-want +got):\n%s", diff)
				}
				if st := f.Stats(); st.Reported != 2 || st.Reports != 2 || st.Dropped != 2 {
					t.Errorf("Stats after Flush: Reported %d, Reports %d, Dropped %d, want 2, 2, 2", st.Reported, st.Reports, st.Dropped)
				}
				if err := f.Close(context.Background()); err != nil {
					t.Fatalf("Close: %v", err)
				}
			})
		})
	}
}
