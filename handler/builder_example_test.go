package handler_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/httpctx"
)

// noTime removes the time from the examples' output so that it can be
// checked.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// The zero Config is a plain synchronous JSON handler: the output of
// slog.NewJSONHandler, byte for byte.
func ExampleNew() {
	logger, shutdown, err := handler.New(os.Stdout, handler.Config{ReplaceAttr: noTime, ExpvarName: handler.NoExpvar})
	if err != nil {
		panic(err)
	}
	defer shutdown(context.Background())
	logger.Info("hello", "user", "ada", "attempt", 2)
	// Output:
	// {"level":"INFO","msg":"hello","user":"ada","attempt":2}
}

// ConfigFromEnv names every malformed variable.
func ExampleConfigFromEnv() {
	os.Setenv("LOG_SAMPLING_RATE", "5%")
	os.Setenv("LOG_QUEUE_SIZE", "-1")
	defer os.Unsetenv("LOG_SAMPLING_RATE")
	defer os.Unsetenv("LOG_QUEUE_SIZE")

	_, err := handler.ConfigFromEnv()
	fmt.Println(err)
	// Output:
	// LOG_SAMPLING_RATE: "5%" is not a number from 0 to 1
	// LOG_QUEUE_SIZE: "-1" is not an integer from 1 to 16777216
}

// A service builds the whole stack once and serves HTTP through httpctx
// with the options that match it: the request's records carry its
// correlation ID and follow its sampling decision, secrets are masked, and
// the shutdown function writes everything before the process exits.
func ExampleStack_HTTPOptions() {
	cfg := handler.DefaultConfig()
	cfg.ReplaceAttr = noTime
	cfg.ExpvarName = handler.NoExpvar
	cfg.SamplingPolicy.AlwaysSamplePaths = []string{"/api/v1/payments"}
	stack, err := handler.NewStack(os.Stdout, cfg)
	if err != nil {
		panic(err)
	}
	logger := stack.Logger()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/payments", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "payment created", "amount", 1250, "api_key", "sk_live_abc123")
		w.WriteHeader(http.StatusCreated)
	})
	opts := stack.HTTPOptions()
	opts.NoAccessLog = true // its duration would make this example's output vary
	srv := httpctx.Middleware(opts)(mux)

	req := httptest.NewRequest(http.MethodPost, "/api/v1/payments", nil)
	req.Header.Set("X-Correlation-ID", "order-7")
	srv.ServeHTTP(httptest.NewRecorder(), req)

	if err := stack.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// {"level":"INFO","msg":"payment created","_sampled":true,"_sample_rate":1,"_sample_reason":"path","amount":1250,"api_key":"[REDACTED]","correlation_id":"order-7"}
}
