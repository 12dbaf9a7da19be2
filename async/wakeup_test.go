package async

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/handler"
)

// TestDrainWakeUps follows, on synctest's clock, when the drain goroutine
// takes what callers queue: a record logged to an idle drain at once; one
// logged while the drain lingers after a batch within lingerTime, without
// a wake-up; at once when records gather to the wake-up threshold (an
// eighth of Capacity) or a Flush asks; and nothing is left behind.
func TestDrainWakeUps(t *testing.T) {
	type form struct {
		name string
		make func() (log func(), f flusher)
	}
	opts := Options{Capacity: 64} // wake-up threshold: 8 records
	forms := []form{
		{"handler", func() (func(), flusher) {
			h := NewHandler(handler.NewJSONHandler(io.Discard, nil), opts)
			return func() { slog.New(h).Info("m") }, h
		}},
		{"writer", func() (func(), flusher) {
			w := NewWriter(io.Discard, opts)
			return func() { slog.New(handler.NewJSONHandler(w, nil)).Info("m") }, w
		}},
	}
	for _, fm := range forms {
		t.Run(fm.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, f := fm.make()
				var got []uint64
				written := func() { synctest.Wait(); got = append(got, f.Stats().Written) }

				log() // the drain sleeps: woken at once
				written()
				log() // the drain lingers after its batch: not woken
				written()
				time.Sleep(lingerTime) // its timer brings it back
				written()
				time.Sleep(time.Hour) // it went to sleep after lingerTime
				log()
				written()
				for range 7 { // lingering again: 7 records stay below the threshold
					log()
				}
				written()
				log() // the 8th wakes it
				written()
				log() // lingering again; Flush wakes it
				if err := f.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
				got = append(got, f.Stats().Written)
				log()
				if err := f.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				got = append(got, f.Stats().Written)
				if diff := cmp.Diff([]uint64{1, 1, 2, 3, 3, 11, 12, 13}, got); diff != "" {
					t.Errorf("records written at each step (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestDrainWokenAtABatch: a lingering drain goroutine is woken once a
// batch is queued (BatchSize records; for a Writer a block's worth), not
// at the default threshold of 64 records nor earlier.
func TestDrainWokenAtABatch(t *testing.T) {
	opts := Options{Capacity: 1024, BatchSize: 16}
	forms := []struct {
		name string
		make func() (log func(), f flusher)
	}{
		{"handler", func() (func(), flusher) {
			h := NewHandler(handler.NewJSONHandler(io.Discard, nil), opts)
			return func() { slog.New(h).Info("m") }, h
		}},
		{"writer", func() (func(), flusher) {
			w := NewWriter(io.Discard, opts)
			return func() { slog.New(handler.NewJSONHandler(w, nil)).Info("m") }, w
		}},
	}
	for _, fm := range forms {
		t.Run(fm.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, f := fm.make()
				var got []uint64
				written := func() { synctest.Wait(); got = append(got, f.Stats().Written) }
				log() // the drain sleeps: woken at once
				written()
				for range 15 { // it lingers: 15 records stay below a batch
					log()
				}
				written()
				log() // the 16th completes a batch and wakes it
				written()
				if err := f.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]uint64{1, 1, 17}, got); diff != "" {
					t.Errorf("records written at each step (-want +got):\n%s", diff)
				}
			})
		})
	}
}
