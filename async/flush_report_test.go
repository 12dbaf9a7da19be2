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
	var out []string
	for _, l := range w.buf.Lines(t) {
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
