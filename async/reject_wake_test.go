package async

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/snapshot"
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

// TestWaitingCallerWakesLingeringDrain: a record that fits in the
// queue's byte bound only alone, logged beside one small queued record
// (too small to wake the drain by itself), makes its caller wait for
// room; the drain, lingering after a batch, is woken at once, so the
// caller does not wait for the drain's linger timer, and nothing is
// dropped.
func TestWaitingCallerWakesLingeringDrain(t *testing.T) {
	big := strings.Repeat("x", 18500)
	forms := []struct {
		name string
		// make returns a Handler or a Writer whose MaxBytes is the size
		// the queue charges for a record with the message big.
		make func() (log func(msg string), c closerStats)
	}{
		{"handler", func() (func(string), closerStats) {
			_, size := snapshot.Record(slog.NewRecord(time.Now(), slog.LevelInfo, big, 0))
			h := NewHandler(handler.NewJSONHandler(io.Discard, nil), Options{Capacity: 64, MaxBytes: size, StallTimeout: time.Second})
			return func(msg string) { slog.New(h).Info(msg) }, h
		}},
		{"writer", func() (func(string), closerStats) {
			var line bytes.Buffer
			slog.New(handler.NewJSONHandler(&line, nil)).Info(big)
			w := NewWriter(io.Discard, Options{Capacity: 64, MaxBytes: line.Len(), StallTimeout: time.Second})
			return func(msg string) { slog.New(handler.NewJSONHandler(w, nil)).Info(msg) }, w
		}},
	}
	for _, fm := range forms {
		t.Run(fm.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, c := fm.make()
				defer c.Close(context.Background())
				log("first") // the drain writes it and lingers
				synctest.Wait()
				log("small") // queued: well below an eighth of MaxBytes
				start := time.Now()
				log(big) // fits only alone: waits for room
				if waited := time.Since(start); waited != 0 {
					t.Errorf("the caller waited %v for the lingering drain, want no wait for its timer", waited)
				}
				synctest.Wait()
				if st := c.Stats(); st.Written != 3 || st.Dropped != 0 {
					t.Errorf("Written %d, Dropped %d; want 3, 0", st.Written, st.Dropped)
				}
			})
		})
	}
}
