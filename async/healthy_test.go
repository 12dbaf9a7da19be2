package async_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestHealthySinkLosesNothingUnderSaturatedCPU: 4 x GOMAXPROCS producers
// log at full speed while 2 x GOMAXPROCS goroutines burn CPU, into a real
// file, through async.Handler over handler.JSONHandler and through
// handler.JSONHandler over async.Writer, with the default options. The
// drain goroutine gets descheduled, the queue fills, and the callers must
// wait for the sink rather than drop: nothing is dropped and every record
// is in the file.
func TestHealthySinkLosesNothingUnderSaturatedCPU(t *testing.T) {
	perProducer := 4000
	if testing.Short() {
		perProducer = 1000
	}
	tests := []struct {
		name  string
		build func(w io.Writer) (slog.Handler, func(context.Context) error, func() async.Stats)
	}{
		{"Handler", func(w io.Writer) (slog.Handler, func(context.Context) error, func() async.Stats) {
			h := async.NewHandler(handler.NewJSONHandler(w, nil), async.DefaultOptions())
			return h, h.Close, h.Stats
		}},
		{"Writer", func(w io.Writer) (slog.Handler, func(context.Context) error, func() async.Stats) {
			aw := async.NewWriter(w, async.DefaultOptions())
			return handler.NewJSONHandler(aw, nil), aw.Close, aw.Stats
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			f, err := os.Create(filepath.Join(t.TempDir(), "log.json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h, closeFn, stats := tt.build(f)
			l := slog.New(h)
			procs := runtime.GOMAXPROCS(0)
			var stop atomic.Bool
			var burners, producers sync.WaitGroup
			for range 2 * procs {
				burners.Go(func() {
					x := 0
					for !stop.Load() {
						for i := range 10000 {
							x += i * i
						}
					}
					_ = x
				})
			}
			for p := range 4 * procs {
				producers.Go(func() {
					for n := range perProducer {
						l.Info("request handled", "p", p, "n", n, "path", "/api/v1/items", "status", 200)
					}
				})
			}
			producers.Wait()
			stop.Store(true)
			burners.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := closeFn(ctx); err != nil {
				t.Fatal(err)
			}
			want := uint64(4 * procs * perProducer)
			st := stats()
			if st.Dropped != 0 || st.Written != want || st.Accepted != want {
				t.Fatalf("Stats = %+v, want %d accepted and written, none dropped", st, want)
			}
			data, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			if lines := uint64(bytes.Count(data, []byte("\n"))); lines != want {
				t.Fatalf("%d lines in the file, want %d", lines, want)
			}
			t.Logf("%d records, queue high water %d", want, st.HighWater)
		})
	}
}
