package async_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/logtest"
)

type closer interface {
	Close(context.Context) error
	Stats() async.Stats
}

// target builds a handler writing to w and, for async targets, the value
// to Close and read Stats from.
type target struct {
	name  string
	build func(w io.Writer) (slog.Handler, closer)
}

var targets = []target{
	{"sync/slog-json", func(w io.Writer) (slog.Handler, closer) { return slog.NewJSONHandler(w, nil), nil }},
	{"sync/handler-json", func(w io.Writer) (slog.Handler, closer) { return handler.NewJSONHandler(w, nil), nil }},
	{"async-handler/slog-json", func(w io.Writer) (slog.Handler, closer) {
		h := async.NewHandler(slog.NewJSONHandler(w, nil), async.Options{})
		return h, h
	}},
	{"async-handler/handler-json", func(w io.Writer) (slog.Handler, closer) {
		h := async.NewHandler(handler.NewJSONHandler(w, nil), async.Options{})
		return h, h
	}},
	{"async-writer/slog-json", func(w io.Writer) (slog.Handler, closer) {
		aw := async.NewWriter(w, async.Options{})
		return slog.NewJSONHandler(aw, nil), aw
	}},
	{"async-writer/handler-json", func(w io.Writer) (slog.Handler, closer) {
		aw := async.NewWriter(w, async.Options{})
		return handler.NewJSONHandler(aw, nil), aw
	}},
}

// BenchmarkCaller measures what a log call costs the calling goroutine,
// synchronous handlers against the async ones, into io.Discard and into a
// real file, serially and from b.RunParallel's goroutines. drops/op is the
// share of records an async target dropped (counted after Close, outside
// the timed region). Serial runs also report caller-cpu-ns/op, the CPU time
// of the calling goroutine's locked thread per call, which a loaded machine
// does not inflate the way it inflates wall-clock ns/op; cpu-ns/op is the
// whole process's CPU per record, the drain goroutine's included.
func BenchmarkCaller(b *testing.B) {
	sinks := []struct {
		name string
		open func(b *testing.B) io.Writer
	}{
		{"discard", func(*testing.B) io.Writer { return io.Discard }},
		{"file", func(b *testing.B) io.Writer {
			f, err := os.CreateTemp(b.TempDir(), "bench-*.log")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			return f
		}},
	}
	ctx := context.Background()
	for _, sink := range sinks {
		for _, tg := range targets {
			for _, parallel := range []bool{false, true} {
				mode := "serial"
				if parallel {
					mode = "parallel"
				}
				b.Run(sink.name+"/"+tg.name+"/"+mode, func(b *testing.B) {
					h, c := tg.build(sink.open(b))
					l := logtest.StandardLogger(h)
					b.ReportAllocs()
					if !parallel {
						// The caller's own CPU time: with the goroutine
						// locked to its thread, the thread's CPU time is
						// the caller's, whatever else the machine runs.
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
					}
					thread0, threadOK := threadCPUTime()
					proc0, procOK := processCPUTime()
					b.ResetTimer()
					if parallel {
						b.RunParallel(func(pb *testing.PB) {
							for pb.Next() {
								logtest.LogStandard(ctx, l)
							}
						})
					} else {
						for range b.N {
							logtest.LogStandard(ctx, l)
						}
					}
					b.StopTimer()
					thread1, _ := threadCPUTime()
					if !parallel && threadOK {
						b.ReportMetric(float64(thread1-thread0)/float64(b.N), "caller-cpu-ns/op")
					}
					if c != nil {
						if err := c.Close(ctx); err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(float64(c.Stats().Dropped)/float64(b.N), "drops/op")
					}
					// All the process's CPU per record, the drain
					// goroutine's included (and Close's drain).
					if proc1, _ := processCPUTime(); procOK {
						b.ReportMetric(float64(proc1-proc0)/float64(b.N), "cpu-ns/op")
					}
				})
			}
		}
	}
}

// BenchmarkOverhead measures only what async adds on the caller's
// goroutine: Writer.Write of one encoded 200-byte line, and Handler.Handle
// of a record carrying the standard payload (the snapshot and the push),
// each into io.Discard behind the drain goroutine.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	b.Run("writer-write", func(b *testing.B) {
		w := async.NewWriter(io.Discard, async.Options{})
		line := []byte(`{"time":"2026-11-28T02:10:01.123456789Z","level":"INFO","msg":"request handled","service":"checkout","method":"GET","path":"/api/v1/orders","status":200,"latency":1234567,"bytes":5120,"ok":true}` + "\n")
		b.SetBytes(int64(len(line)))
		b.ReportAllocs()
		for b.Loop() {
			w.Write(line)
		}
		b.StopTimer()
		if err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(w.Stats().Dropped)/float64(b.N), "drops/op")
	})
	b.Run("handler-handle", func(b *testing.B) {
		h := async.NewHandler(slog.DiscardHandler, async.Options{})
		r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
		r.AddAttrs(slog.String("method", "GET"), slog.String("path", "/api/v1/orders"), slog.Int("status", 200),
			slog.Duration("latency", 1234567*time.Nanosecond), slog.Int64("bytes", 5120), slog.Bool("ok", true))
		b.ReportAllocs()
		for b.Loop() {
			h.Handle(ctx, r)
		}
		b.StopTimer()
		if err := h.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(h.Stats().Dropped)/float64(b.N), "drops/op")
	})
}
