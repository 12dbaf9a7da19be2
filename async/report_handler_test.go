package async

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// noTime removes the time attribute, so lines compare exactly.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

type panickingHandler struct{ slog.Handler }

func (panickingHandler) Handle(context.Context, slog.Record) error { panic("report handler") }

// TestWriterReportHandler: the Writer encodes its drop report with the
// handler Options.ReportHandler makes (a text line in a text stream), or
// as a JSON line when it is nil; the handler's level does not filter the
// report (a handler that refuses WARN still writes it), and one that
// panics is counted, the stream going on.
func TestWriterReportHandler(t *testing.T) {
	const textReport = `level=WARN msg="async: records dropped" dropped=3 dropped_by_level.DEBUG=0 dropped_by_level.INFO=3 dropped_by_level.WARN=0 dropped_by_level.ERROR=0 dropped_bytes=54`
	lines := func(report ...string) []string {
		return append(append([]string{"level=INFO msg=a0"}, report...), "level=INFO msg=a4", "level=INFO msg=a5", "level=INFO msg=a6", "level=INFO msg=a7")
	}
	tests := []struct {
		name       string
		handler    func(io.Writer) slog.Handler
		want       []string
		sinkPanics uint64
	}{
		{"nil: JSON", nil, lines(`{"level":"WARN","msg":"async: records dropped","dropped":3,"dropped_by_level":{"DEBUG":0,"INFO":3,"WARN":0,"ERROR":0},"dropped_bytes":54}`), 0},
		{"text", func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: noTime})
		}, lines(textReport), 0},
		{"refuses WARN", func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelError, ReplaceAttr: noTime})
		}, lines(textReport), 0},
		{"panics", func(w io.Writer) slog.Handler {
			return panickingHandler{slog.NewTextHandler(w, nil)}
		}, lines(), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				w := &pausingLines{}
				x := NewWriter(w, Options{Capacity: 4, ReportInterval: 1, ReportHandler: tt.handler})
				logger := slog.New(slog.NewTextHandler(x, &slog.HandlerOptions{ReplaceAttr: noTime}))
				w.pause()
				logger.Info("a0")
				synctest.Wait() // the drain holds it, paused in the writer
				for i := 1; i < 8; i++ {
					logger.Info(fmt.Sprint("a", i))
				}
				w.resume()
				if err := x.Close(context.Background()); err != nil {
					t.Fatalf("Close: %v", err)
				}
				got := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
				if tt.handler == nil { // the JSON report has a time: check it is there, then drop it
					var ok bool
					if got[1], ok = strings.CutPrefix(got[1], `{"time":"`); ok {
						_, got[1], _ = strings.Cut(got[1], `",`)
						got[1] = "{" + got[1]
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("written (-want +got):\n%s", diff)
				}
				want := sinkCounts{Accepted: 8, Written: 5, Dropped: 3, Reported: 3, Reports: 1, SinkPanics: tt.sinkPanics}
				if diff := cmp.Diff(want, countsOf(x.Stats())); diff != "" {
					t.Errorf("Stats (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestNewWriterNilReportHandlerPanics: a ReportHandler that returns nil
// is refused when the Writer is made, not at the first report.
func TestNewWriterNilReportHandlerPanics(t *testing.T) {
	defer func() {
		if v := recover(); v != "async: NewWriter: Options.ReportHandler returned a nil handler" {
			t.Fatalf("recovered %v", v)
		}
	}()
	NewWriter(io.Discard, Options{ReportHandler: func(io.Writer) slog.Handler { return nil }})
	t.Fatal("NewWriter did not panic")
}

// refusesWarn is a sink that takes INFO but refuses WARN, as one whose
// level is set per level might.
type refusesWarn struct{ slog.Handler }

func (h refusesWarn) Enabled(_ context.Context, l slog.Level) bool { return l != slog.LevelWarn }

// TestHandlerReportIgnoresTheSinksLevel: a Handler hands its drop report
// to the sink's Handle without asking its Enabled, so a sink that refuses
// WARN still writes it, and Reported counts only what was written.
func TestHandlerReportIgnoresTheSinksLevel(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var buf strings.Builder
		gate := make(chan struct{})
		sink := &gatedHandler{next: refusesWarn{slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime})}, gate: gate}
		h := NewHandler(sink, Options{Capacity: 4, ReportInterval: 1})
		logger := slog.New(h)
		logger.Info("a0")
		synctest.Wait() // the drain holds a0, waiting at the gate
		for i := 1; i < 8; i++ {
			logger.Info(fmt.Sprint("a", i))
		}
		close(gate)
		if err := h.Close(context.Background()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		want := []string{"level=INFO msg=a0",
			`level=WARN msg="async: records dropped" dropped=3 dropped_by_level.DEBUG=0 dropped_by_level.INFO=3 dropped_by_level.WARN=0 dropped_by_level.ERROR=0 first_dropped=2000-01-01T00:00:00.000Z last_dropped=2000-01-01T00:00:00.000Z`,
			"level=INFO msg=a4", "level=INFO msg=a5", "level=INFO msg=a6", "level=INFO msg=a7"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
		if st := h.Stats(); st.Dropped != 3 || st.Reported != 3 {
			t.Errorf("Dropped %d, Reported %d; want 3 and 3", st.Dropped, st.Reported)
		}
	})
}
