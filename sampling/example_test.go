package sampling_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/trace"
)

// stdout is a JSON handler without times, so that examples print stable
// output.
func stdout() slog.Handler {
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
}

// openScope opens a request scope decided by policy, as scope.Start (or
// httpctx.Middleware for an HTTP request) does, and returns its context
// and its end.
func openScope(policy sampling.Policy, name, correlationID string) (context.Context, func()) {
	sampled, rate, reason := policy.Decide(name, correlationID, trace.SpanContext{})
	s := reqscope.New(correlationID, trace.SpanContext{}, reqscope.Decision{Sampled: sampled, Rate: rate, Reason: reason})
	return reqscope.NewContext(context.Background(), s), func() { s.End() }
}

// A unit of work that is not sampled logs nothing, until an error rescues
// it: its earlier records come out first, in order, then the error.
// scope.Start opens and ends such a scope for a job or a queued message;
// httpctx.Middleware does it for each HTTP request.
func Example_rescue() {
	logger := slog.New(sampling.NewHandler(stdout(), sampling.DefaultOptions()))

	// Decide("req-2", 0.1) is false.
	ctx, end := openScope(sampling.DefaultPolicy(), "job/settle-orders", "req-2")
	logger.InfoContext(ctx, "loading order", "id", 42)
	logger.InfoContext(ctx, "charging card")
	logger.ErrorContext(ctx, "card declined")
	end()

	// Output:
	// {"level":"INFO","msg":"loading order","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error","id":42}
	// {"level":"INFO","msg":"charging card","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
	// {"level":"ERROR","msg":"card declined","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
}

// A request that is not sampled and ends without an error writes nothing;
// Stats counts what was dropped.
func ExampleHandler_Stats() {
	h := sampling.NewHandler(stdout(), sampling.DefaultOptions())
	logger := slog.New(h)

	ctx, end := openScope(sampling.DefaultPolicy(), "/orders", "req-2")
	logger.InfoContext(ctx, "step 1")
	logger.InfoContext(ctx, "step 2")
	end()

	st := h.Stats()
	fmt.Println("requests not sampled:", st.RequestsNotSampled.Rate)
	fmt.Println("records buffered:", st.RecordsBuffered, "dropped:", st.RecordsDropped)
	// Output:
	// requests not sampled: 1
	// records buffered: 2 dropped: 2
}

// A sampled request's records pass with the decision attached, at the top
// level even under a group.
func ExampleNewHandler() {
	logger := slog.New(sampling.NewHandler(stdout(), sampling.DefaultOptions()))
	policy := sampling.DefaultPolicy()
	policy.AlwaysSamplePaths = []string{"/pay"}

	ctx, end := openScope(policy, "/pay/capture", "pay-1")
	logger.WithGroup("payment").InfoContext(ctx, "captured", "amount", 1999)
	end()
	// Output:
	// {"level":"INFO","msg":"captured","_sampled":true,"_sample_rate":1,"_sample_reason":"path","payment":{"amount":1999}}
}

// The zero Options buffers nothing: a request that is not sampled writes
// only from its first error on. A closure over NewHandler composes it with
// slog-multi's Pipe and keeps the handle for Stats.
func ExampleNewHandler_pipe() {
	var sampler *sampling.Handler
	pipe := slogmulti.Pipe(func(next slog.Handler) slog.Handler {
		sampler = sampling.NewHandler(next, sampling.Options{})
		return sampler
	})
	logger := slog.New(pipe.Handler(stdout()))

	ctx, end := openScope(sampling.DefaultPolicy(), "/orders", "req-2")
	logger.InfoContext(ctx, "not written: buffering is off")
	logger.ErrorContext(ctx, "written")
	logger.InfoContext(ctx, "written: the request is kept")
	end()
	logger.Info("no scope: passes unchanged")
	fmt.Println("requests kept:", sampler.Stats().RequestsKept)
	// Output:
	// {"level":"ERROR","msg":"written","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
	// {"level":"INFO","msg":"written: the request is kept","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
	// {"level":"INFO","msg":"no scope: passes unchanged"}
	// requests kept: 1
}

// Decide is the same everywhere: services that forward the correlation ID
// sample the same requests.
func ExampleDecide() {
	for _, id := range []string{"req-1", "req-2", "abc"} {
		fmt.Println(id, sampling.Decide(id, 0.5))
	}
	// Output:
	// req-1 false
	// req-2 false
	// abc true
}
