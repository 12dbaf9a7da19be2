package httpctx_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// exampleSink is a JSON handler to stdout without times or durations, so
// that the examples' output is stable.
func exampleSink() slog.Handler {
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "duration") {
				return slog.Attr{}
			}
			return a
		},
	})
}

// A service puts the middleware in front of its mux and logs with the
// request's context, or through the request-bound logger.
func Example() {
	// The handler stack: scope.NewHandler first, then the rest of the
	// stack (sampling.Handler and others), then the sink.
	logger := slog.New(scope.NewHandler(exampleSink(), scope.HandlerOptions{}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		log := scope.Logger(r.Context()) // bound to this request
		log.Info("loading order", "id", r.PathValue("id"))
		fmt.Fprintln(w, "ok")
	})
	opts := httpctx.DefaultOptions()
	opts.Logger = logger
	policy := sampling.DefaultPolicy()
	policy.AlwaysSamplePaths = []string{"/orders"}
	opts.Policy = policy
	handler := httpctx.Middleware(opts)(mux)

	req := httptest.NewRequest("GET", "/orders/42", nil)
	req.Header.Set("X-Correlation-ID", "c0ffee")
	req.RemoteAddr = "192.0.2.7:5555"
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("X-Correlation-ID"), rec.Header().Get("X-Log-Sampled"))
	// Output:
	// {"level":"INFO","msg":"loading order","id":"42","correlation_id":"c0ffee"}
	// {"level":"INFO","msg":"request completed","method":"GET","path":"/orders/42","route":"GET /orders/{id}","status":200,"bytes":3,"remote_addr":"192.0.2.7:5555","user_agent":"","correlation_id":"c0ffee"}
	// c0ffee true
}

// Request and response bodies in the access record: JSON stays JSON, and
// the Redact hook masks a secret before the body is logged.
func ExampleBodyOptions() {
	logger := slog.New(scope.NewHandler(exampleSink(), scope.HandlerOptions{}))
	opts := httpctx.DefaultOptions()
	opts.Logger = logger
	opts.Body = httpctx.BodyOptions{
		Request:  true,
		Response: true,
		MaxBytes: 64,
		Redact: func(contentType string, body []byte) []byte {
			return bytes.ReplaceAll(body, []byte("s3cret"), []byte("******"))
		},
	}
	handler := httpctx.Middleware(opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":7}`)
	}))

	req := httptest.NewRequest("POST", "/users", strings.NewReader(`{"name":"ann","password":"s3cret"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "r-1")
	req.RemoteAddr = "192.0.2.7:5555"
	handler.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// {"level":"INFO","msg":"request completed","method":"POST","path":"/users","route":"","status":201,"bytes":8,"remote_addr":"192.0.2.7:5555","user_agent":"","request_body":{"name":"ann","password":"******"},"response_body":{"id":7},"correlation_id":"r-1"}
}

// The zero Options are a real setting: no access record and a policy that
// samples nothing. DefaultOptions holds what a service usually wants.
func ExampleDefaultOptions() {
	opts := httpctx.DefaultOptions()
	fmt.Println(opts.AccessLog, opts.AccessMessage, opts.Body.MaxBytes)
	fmt.Printf("%+v\n", opts.Policy)
	var zero httpctx.Options
	fmt.Println(zero.AccessLog, zero.Policy, zero.Body.MaxBytes)
	// Output:
	// true request completed 4096
	// {Rate:0.1 AlwaysSamplePaths:[] ExcludedPaths:[/health /healthz /livez /readyz] FollowTrace:false}
	// false <nil> 0
}
