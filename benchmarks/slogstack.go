package benchmarks

import (
	"io"
	"log/slog"

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
