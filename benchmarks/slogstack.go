package benchmarks

import (
	"context"
	"io"
	"log/slog"

	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
)

// SlogstackJSONName is the name of the target that logs through
// handler.JSONHandler synchronously.
const SlogstackJSONName = "slogstack-json"

// SlogstackJSON logs through slogstack's handler.JSONHandler, writing
// synchronously.
var SlogstackJSON = Target{Name: SlogstackJSONName, Source: true, Open: func(w io.Writer, o Options) Setup {
	return slogSetup(handler.NewJSONHandler(w, &slog.HandlerOptions{AddSource: o.AddSource}), slog.LevelInfo)
}}

// slogstackSyncTargets returns slogstack's synchronous setups.
func slogstackSyncTargets() []Target { return []Target{SlogstackJSON} }

// slogstackBufferedTargets returns slogstack's setups in the buffered
// comparison: the synchronous handler writing straight to the sink, then
// the two asynchronous ones.
func slogstackBufferedTargets() []Target {
	return []Target{SlogstackJSON, SlogstackAsyncWriter, SlogstackAsyncHandler}
}

// SlogstackAsyncWriter logs through handler.JSONHandler writing to an
// async.Writer with default options: the record is encoded on the caller,
// its bytes queued and written by the Writer's goroutine in batches.
var SlogstackAsyncWriter = Target{Name: "slogstack-asyncwriter", Source: true, Open: func(w io.Writer, o Options) Setup {
	aw := async.NewWriter(w, async.DefaultOptions())
	s := slogSetup(handler.NewJSONHandler(aw, &slog.HandlerOptions{AddSource: o.AddSource}), slog.LevelInfo)
	s.Close = func() (uint64, error) {
		err := closeWithin(aw.Close)
		return aw.Stats().Dropped, err
	}
	return s
}}

// SlogstackAsyncHandler logs through async.Handler with default options
// over handler.JSONHandler: the record is snapshotted on the caller and
// encoded and written by the Handler's goroutine.
var SlogstackAsyncHandler = Target{Name: "slogstack-asynchandler", Source: true, Open: func(w io.Writer, o Options) Setup {
	ah := async.NewHandler(handler.NewJSONHandler(w, &slog.HandlerOptions{AddSource: o.AddSource}), async.DefaultOptions())
	s := slogSetup(ah, slog.LevelInfo)
	s.Close = func() (uint64, error) {
		err := closeWithin(ah.Close)
		return ah.Stats().Dropped, err
	}
	return s
}}

// closeWithin calls close with a context that expires after CloseTimeout.
func closeWithin(close func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	return close(ctx)
}
