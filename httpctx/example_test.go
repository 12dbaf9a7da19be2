package httpctx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/sampling"
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
	// The handler stack: httpctx.NewHandler first, then the rest of the
	// stack (sampling.Handler and others), then the sink.
	logger := slog.New(httpctx.NewHandler(exampleSink(), httpctx.HandlerOptions{}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		log := httpctx.Logger(r.Context()) // bound to this request
		log.Info("loading order", "id", r.PathValue("id"))
		fmt.Fprintln(w, "ok")
	})
	handler := httpctx.Middleware(httpctx.Options{
		Logger: logger,
		Policy: sampling.Policy{AlwaysSamplePaths: []string{"/orders"}},
	})(mux)

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

// Logger returns a logger that carries the request's scope even to code
// that logs without a context.
func ExampleLogger() {
	logger := slog.New(httpctx.NewHandler(exampleSink(), httpctx.HandlerOptions{}))
	ctx, end := httpctx.Start(context.Background(), httpctx.StartOptions{CorrelationID: "req-7", Logger: logger})
	defer end(nil)

	log := httpctx.Logger(ctx)
	log.Info("no context needed")           // carries correlation_id
	logger.Info("plain logger, no context") // does not
	// Output:
	// {"level":"INFO","msg":"no context needed","correlation_id":"req-7"}
	// {"level":"INFO","msg":"plain logger, no context"}
}

// Start opens a scope for work that is not HTTP, here a queue consumer;
// end(err) keeps the scope's records when the work failed.
func ExampleStart() {
	logger := slog.New(httpctx.NewHandler(exampleSink(), httpctx.HandlerOptions{}))
	handle := func(msgID string) (err error) {
		ctx, end := httpctx.Start(context.Background(), httpctx.StartOptions{
			CorrelationID: msgID,
			Name:          "queue/orders",
			Policy:        sampling.Policy{Rate: 0.1},
			Logger:        logger,
		})
		defer func() { end(err) }()
		httpctx.Logger(ctx).Info("processing")
		if msgID == "m-2" {
			return errors.New("bad message")
		}
		return nil
	}
	_ = handle("m-1")
	_ = handle("m-2")
	// Output:
	// {"level":"INFO","msg":"processing","correlation_id":"m-1"}
	// {"level":"INFO","msg":"processing","correlation_id":"m-2"}
}

// Under an open group, the correlation attributes still go to the top
// level of the record.
func ExampleNewHandler() {
	logger := slog.New(httpctx.NewHandler(exampleSink(), httpctx.HandlerOptions{}))
	ctx, end := httpctx.Start(context.Background(), httpctx.StartOptions{CorrelationID: "abc"})
	defer end(nil)
	logger.WithGroup("db").InfoContext(ctx, "query", "rows", 3)
	// Output:
	// {"level":"INFO","msg":"query","correlation_id":"abc","db":{"rows":3}}
}

func ExampleParseTraceparent() {
	sc, ok := httpctx.ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	fmt.Println(ok, sc.TraceID(), sc.SpanID(), sc.IsSampled())
	_, ok = httpctx.ParseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
	fmt.Println(ok)
	// Output:
	// true 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 true
	// false
}

func ExampleValidCorrelationID() {
	fmt.Println(httpctx.ValidCorrelationID("order-42:retry.1"))
	fmt.Println(httpctx.ValidCorrelationID("has space"))
	// Output:
	// true
	// false
}

// NewRequestMiddleware gives the middleware as a value, for its Stats.
// Here request and response bodies are logged: JSON stays JSON, and the
// Redact hook masks a secret before the body is logged.
func ExampleNewRequestMiddleware() {
	logger := slog.New(httpctx.NewHandler(exampleSink(), httpctx.HandlerOptions{}))
	m := httpctx.NewRequestMiddleware(httpctx.Options{
		Logger: logger,
		Body: httpctx.BodyOptions{
			Request:  true,
			Response: true,
			MaxBytes: 64,
			Redact: func(contentType string, body []byte) []byte {
				return bytes.ReplaceAll(body, []byte("s3cret"), []byte("******"))
			},
		},
	})
	handler := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

	s := m.Stats()
	fmt.Println(s.Requests, s.IDs.FromRequestIDHeader, s.RequestBodyBytes, s.ResponseBodyBytes)
	// Output:
	// {"level":"INFO","msg":"request completed","method":"POST","path":"/users","route":"","status":201,"bytes":8,"remote_addr":"192.0.2.7:5555","user_agent":"","request_body":{"name":"ann","password":"******"},"response_body":{"id":7},"correlation_id":"r-1"}
	// 1 1 34 8
}
