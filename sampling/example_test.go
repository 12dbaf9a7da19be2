package sampling_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/httpctx"
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

// A unit of work that is not sampled logs nothing, until an error rescues
// it: its earlier records come out first, in order, then the error.
// httpctx.Middleware opens and ends such a scope for each HTTP request;
// httpctx.Start does it for a job or a queued message.
func Example_rescue() {
	logger := slog.New(sampling.NewHandler(stdout(), sampling.Options{}))

	ctx, end := httpctx.Start(context.Background(), httpctx.StartOptions{
		CorrelationID: "req-2", // Decide("req-2", 0.1) is false
		Name:          "job/settle-orders",
		Policy:        sampling.Policy{Rate: 0.1},
	})
	logger.InfoContext(ctx, "loading order", "id", 42)
	logger.InfoContext(ctx, "charging card")
	logger.ErrorContext(ctx, "card declined")
	end(nil)

	// Output:
	// {"level":"INFO","msg":"loading order","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error","id":42}
	// {"level":"INFO","msg":"charging card","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
	// {"level":"ERROR","msg":"card declined","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
}

// A request that is not sampled and ends without an error writes nothing;
// Stats counts what was dropped.
func ExampleHandler_Stats() {
	h := sampling.NewHandler(stdout(), sampling.Options{})
	logger := slog.New(h)

	scope := reqscope.New("req-2", trace.SpanContext{}, sampling.Decision{Sampled: false, Rate: 0.1, Reason: sampling.ReasonRate})
	ctx := reqscope.NewContext(context.Background(), scope)
	logger.InfoContext(ctx, "step 1")
	logger.InfoContext(ctx, "step 2")
	scope.End()

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
	logger := slog.New(sampling.NewHandler(stdout(), sampling.Options{}))
	scope := reqscope.New("pay-1", trace.SpanContext{}, sampling.Decision{Sampled: true, Rate: 1, Reason: sampling.ReasonPath})
	ctx := reqscope.NewContext(context.Background(), scope)
	logger.WithGroup("payment").InfoContext(ctx, "captured", "amount", 1999)
	scope.End()
	// Output:
	// {"level":"INFO","msg":"captured","_sampled":true,"_sample_rate":1,"_sample_reason":"path","payment":{"amount":1999}}
}

// NewMiddleware composes with slog-multi's Pipe.
func ExampleNewMiddleware() {
	h := slogmulti.Pipe(sampling.NewMiddleware(sampling.Options{DisableBuffering: true})).Handler(stdout())
	logger := slog.New(h)
	scope := reqscope.New("req-2", trace.SpanContext{}, sampling.Decision{Sampled: false, Rate: 0.1, Reason: sampling.ReasonRate})
	ctx := reqscope.NewContext(context.Background(), scope)
	logger.InfoContext(ctx, "not written: buffering is off")
	logger.ErrorContext(ctx, "written")
	logger.InfoContext(ctx, "written: the request is kept")
	scope.End()
	logger.Info("no scope: passes unchanged")
	// Output:
	// {"level":"ERROR","msg":"written","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
	// {"level":"INFO","msg":"written: the request is kept","_sampled":true,"_sample_rate":0.1,"_sample_reason":"error"}
	// {"level":"INFO","msg":"no scope: passes unchanged"}
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
