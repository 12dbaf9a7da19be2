package async_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/async"
)

// A Handler in front of a handler that encodes and writes: the caller only
// queues; Close writes what is queued.
func ExampleNewHandler() {
	sink := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // stable output for the example
			}
			return a
		},
	})
	h := async.NewHandler(sink, async.DefaultOptions())
	logger := slog.New(h).With("service", "checkout")
	logger.Info("request handled", "status", 200)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		fmt.Println("close:", err)
	}
	st := h.Stats()
	fmt.Println("accepted", st.Accepted, "written", st.Written, "dropped", st.Dropped)
	// Output:
	// level=INFO msg="request handled" service=checkout status=200
	// accepted 1 written 1 dropped 0
}

// A Writer under an encoding handler: the record is encoded on the caller's
// goroutine and only its bytes are queued, the cheapest form of async
// logging.
func ExampleNewWriter() {
	w := async.NewWriter(os.Stdout, async.DefaultOptions())
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Warn("disk almost full", "free_mb", 512)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		fmt.Println("close:", err)
	}
	// Output:
	// {"level":"WARN","msg":"disk almost full","free_mb":512}
}

// With a stuck sink, Close gives up at its deadline and says exactly how
// many records were lost (still queued) and how many the sink is still
// taking (counted once its call returns).
func ExampleHandler_Close() {
	stuck := make(chan struct{})
	defer close(stuck)
	h := async.NewHandler(blockingHandler{stuck}, async.DefaultOptions())
	logger := slog.New(h)
	for range 3 {
		logger.Info("never written")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	fmt.Println(h.Close(ctx))
	st := h.Stats()
	fmt.Println("lost", st.Lost, "in flight", st.InFlight)
	// Output:
	// async: close: 2 records lost: the sink did not take them before the deadline; 1 record still being written by the sink: context deadline exceeded
	// lost 2 in flight 1
}

// Before os.Exit, which runs no deferred Close, Flush writes what is
// queued and leaves the Writer open.
func ExampleWriter_Flush() {
	w := async.NewWriter(os.Stdout, async.DefaultOptions())
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // stable output for the example
			}
			return a
		},
	}))
	logger.Error("cannot continue", "err", "disk full")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Flush(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	fmt.Println("written:", w.Stats().Written) // then os.Exit(1) in a real program
	// Output:
	// {"level":"ERROR","msg":"cannot continue","err":"disk full"}
	// written: 1
}

// blockingHandler stands for a sink that hangs.
type blockingHandler struct{ release chan struct{} }

func (h blockingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h blockingHandler) Handle(context.Context, slog.Record) error {
	<-h.release
	return nil
}
func (h blockingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h blockingHandler) WithGroup(string) slog.Handler      { return h }

// Composing with slogmulti.Pipe: the closure keeps the *async.Handler it
// builds, to Close it at shutdown.
func Example_pipe() {
	sink := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	var q *async.Handler
	pipe := slogmulti.Pipe(func(next slog.Handler) slog.Handler {
		q = async.NewHandler(next, async.DefaultOptions())
		return q
	})
	slog.New(pipe.Handler(sink)).Info("piped")

	if err := q.Close(context.Background()); err != nil {
		fmt.Println("close:", err)
	}
	// Output:
	// {"level":"INFO","msg":"piped"}
}
