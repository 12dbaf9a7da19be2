package slogstack_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
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
// correlated like a request's, and its end writes a completion record
// (set opts.CompletionLog = false to leave it out).
func ExampleStack_ScopeOptions() {
	cfg := slogstack.DefaultConfig()
	cfg.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == "duration" && len(groups) == 0 {
			return slog.Attr{} // it would make this example's output vary
		}
		return noTime(groups, a)
	}
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
	// {"level":"INFO","msg":"scope completed","_sampled":true,"_sample_rate":1,"_sample_reason":"path","name":"job/nightly-report","outcome":"ok","correlation_id":"report-2026-03-14"}
}

// The effective configuration prints on one line (String) and logs as
// one value (LogValue), so a service can show at start what it runs with.
func ExampleConfig_String() {
	cfg := slogstack.Config{
		Level:          slog.LevelWarn,
		Sampling:       true,
		SamplingPolicy: sampling.Policy{Rate: 0.25, ExcludedPaths: []string{"/healthz"}},
	}
	fmt.Println(cfg)

	stack, err := slogstack.NewStack(os.Stdout, slogstack.Config{ReplaceAttr: noTime})
	if err != nil {
		panic(err)
	}
	defer stack.Shutdown(context.Background())
	stack.Logger().Info("logging configured", "config", slogstack.Config{Redact: true, RedactOptions: redact.DefaultOptions()})
	// Output:
	// level=WARN format=json add_source=false stacktrace=off correlation=off sampling.rate=0.25 sampling.always_sample_paths="" sampling.excluded_paths=/healthz sampling.follow_trace=false sampling.request_buffer=off sampling.unscoped=pass aggregation=off redact=off async=off http.access_log=false http.body=off http.recover=false
	// {"level":"INFO","msg":"logging configured","config":{"level":"INFO","format":"json","add_source":false,"stacktrace":"off","correlation":"off","sampling":"off","aggregation":"off","redact":{"keys":"default","safe_keys":"","value_patterns":"all","custom_patterns":0,"replacement":"[REDACTED]","key_cache_size":4096},"async":"off","http":{"access_log":false,"body":"off","recover":false}}}
}

// DevelopmentConfig writes readable text, at DEBUG, for every request,
// with a stack trace on each error (shortened here).
func ExampleDevelopmentConfig() {
	cfg := slogstack.DevelopmentConfig()
	cfg.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == "stacktrace" {
			first, _, _ := strings.Cut(a.Value.String(), "\n")
			return slog.String(a.Key, first+" ...")
		}
		return noTime(groups, a)
	}
	stack, err := slogstack.NewStack(os.Stdout, cfg)
	if err != nil {
		panic(err)
	}
	logger := stack.Logger()
	logger.Debug("cache miss", "key", "user:42")
	logger.Error("payment failed", "err", errors.New("card declined"), "card", "4111 1111 1111 1111")
	if err := stack.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// level=DEBUG msg="cache miss" key=user:42
	// level=ERROR msg="payment failed" err="card declined" card=[REDACTED] stacktrace="github.com/slogstack/slogstack_test.ExampleDevelopmentConfig ..."
}
