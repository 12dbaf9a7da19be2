package slogstack_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/scope"
)

// noTime removes the time from the examples' output so that it can be
// checked.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// The layers DefaultConfig switches on, top first, as the builder
// assembles them (docs/architecture.md explains the order).
func ExampleStack_String() {
	stack, err := slogstack.NewStack(os.Stdout, slogstack.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer stack.Shutdown(context.Background())
	for _, layer := range strings.Split(stack.String(), " -> ") {
		fmt.Println(layer)
	}

	sink, err := slogstack.NewStackWithSink(slog.DiscardHandler, slogstack.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer sink.Shutdown(context.Background())
	fmt.Println(sink)
	// Output:
	// sampling.Handler
	// scope.Handler
	// aggregation.Handler
	// redact.Handler
	// handler.JSONHandler
	// async.Writer
	// io.Writer
	// sampling.Handler -> scope.Handler -> aggregation.Handler -> redact.Handler -> async.Handler -> sink
}

// The zero Config is a plain synchronous JSON handler: the output of
// slog.NewJSONHandler, byte for byte.
func ExampleNewStack_allOff() {
	stack, err := slogstack.NewStack(os.Stdout, slogstack.Config{ReplaceAttr: noTime})
	if err != nil {
		panic(err)
	}
	defer stack.Shutdown(context.Background())
	stack.Logger().Info("hello", "user", "ada", "attempt", 2)
	// Output:
	// {"level":"INFO","msg":"hello","user":"ada","attempt":2}
}

// ConfigFromEnv names every malformed variable, and a misspelled one with
// the name it was probably meant to be.
func ExampleConfigFromEnv() {
	os.Setenv("LOG_SAMPLING_RATE", "5%")
	os.Setenv("LOG_QUEUE_SIZE", "-1")
	os.Setenv("LOG_AGGREGATON", "false")
	defer os.Unsetenv("LOG_SAMPLING_RATE")
	defer os.Unsetenv("LOG_QUEUE_SIZE")
	defer os.Unsetenv("LOG_AGGREGATON")

	_, err := slogstack.ConfigFromEnv(slogstack.DefaultConfig())
	fmt.Println(err)
	// Output:
	// LOG_SAMPLING_RATE: "5%" is not a number from 0 to 1
	// LOG_QUEUE_SIZE: "-1" is not an integer from 1 to 16777216
	// LOG_AGGREGATON: unknown variable; did you mean LOG_AGGREGATION?
}

// A service builds the whole stack once and serves HTTP through its
// middleware: the request's records carry its correlation ID and follow
// its sampling decision, secrets are masked, and Shutdown writes
// everything before the process exits.
func ExampleStack_Middleware() {
	cfg := slogstack.DefaultConfig()
	cfg.ReplaceAttr = noTime
	cfg.SamplingPolicy.AlwaysSamplePaths = []string{"/api/v1/payments"}
	cfg.HTTP.AccessLog = false // its duration would make this example's output vary
	stack, err := slogstack.NewStack(os.Stdout, cfg)
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/payments", func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("payment created", "amount", 1250, "api_key", "sk_live_abc123")
		w.WriteHeader(http.StatusCreated)
	})
	srv := stack.Middleware(mux)

	req := httptest.NewRequest(http.MethodPost, "/api/v1/payments", nil)
	req.Header.Set("X-Correlation-ID", "order-7")
	srv.ServeHTTP(httptest.NewRecorder(), req)

	if err := stack.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// {"level":"INFO","msg":"payment created","_sampled":true,"_sample_rate":1,"_sample_reason":"path","amount":1250,"api_key":"[REDACTED]","correlation_id":"order-7"}
}

// Work that is not an HTTP request (a job, a queued message) opens its
// scope with the stack's options, so that its records are sampled and
// correlated like a request's.
func ExampleStack_ScopeOptions() {
	cfg := slogstack.DefaultConfig()
	cfg.ReplaceAttr = noTime
	cfg.SamplingPolicy.AlwaysSamplePaths = []string{"job/"}
	stack, err := slogstack.NewStack(os.Stdout, cfg)
	if err != nil {
		panic(err)
	}

	opts := stack.ScopeOptions("job/nightly-report")
	opts.CorrelationID = "report-2026-03-14"
	ctx, end := scope.Start(context.Background(), opts)
	scope.Logger(ctx).Info("report sent", "pages", 12)
	end(nil)

	if err := stack.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// {"level":"INFO","msg":"report sent","_sampled":true,"_sample_rate":1,"_sample_reason":"path","pages":12,"correlation_id":"report-2026-03-14"}
}
