package async

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slogstack/slogstack/handler"
)

// TestOversizedDropReportedByIdleDrain: a record larger than MaxBytes,
// dropped without being queued while the drain goroutine sleeps with
// nothing to do, is reported in-band within ReportInterval, as a drop by
// eviction is, without waiting for another record to wake the drain.
func TestOversizedDropReportedByIdleDrain(t *testing.T) {
	opts := Options{Capacity: 64, MaxBytes: 1024, ReportInterval: time.Second}
	big := strings.Repeat("x", 4096)
	forms := []struct {
		name string
		make func() (log func(msg string), c closerStats)
	}{
		{"handler", func() (func(string), closerStats) {
			h := NewHandler(handler.NewJSONHandler(io.Discard, nil), opts)
			return func(msg string) { slog.New(h).Info(msg) }, h
		}},
		{"writer", func() (func(string), closerStats) {
			w := NewWriter(io.Discard, opts)
			return func(msg string) { slog.New(handler.NewJSONHandler(w, nil)).Info(msg) }, w
		}},
	}
	for _, fm := range forms {
		for _, first := range []string{"asleep", "lingering"} {
			t.Run(fm.name+"/"+first, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					log, c := fm.make()
					defer c.Close(context.Background())
					log("small") // the drain writes it and lingers
					synctest.Wait()
					if first == "asleep" {
						time.Sleep(time.Hour) // past its linger: it sleeps
					}
					log(big)
					time.Sleep(2 * opts.ReportInterval)
					synctest.Wait()
					st := c.Stats()
					if st.Dropped != 1 || st.Reported != 1 || st.Reports != 1 {
						t.Errorf("after 2 report intervals: Dropped %d, Reported %d, Reports %d; want 1, 1, 1", st.Dropped, st.Reported, st.Reports)
					}
				})
			})
		}
	}
}

// closerStats is what the test needs of a Handler or a Writer.
type closerStats interface {
	Close(context.Context) error
	Stats() Stats
}
