package httpctx

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slogstack/slogstack/internal/benchcpu"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/traceparent"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// loop runs f b.N times, reporting allocations and cpu-ns/op.
func loop(b *testing.B, f func()) { benchcpu.Loop(b, f) }

// nopWriter is a ResponseWriter that keeps nothing, so that a benchmark
// measures the middleware and not a recorder.
type nopWriter struct{ header http.Header }

func (w *nopWriter) Header() http.Header         { return w.header }
func (w *nopWriter) WriteHeader(int)             {}
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkMiddleware measures the middleware's cost per request, against
// calling the handler directly ("bare").
func BenchmarkMiddleware(b *testing.B) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) })
	discard := slog.New(logtest.Nop{})
	jsonLogger := slog.New(scope.NewHandler(sampling.NewHandler(slog.NewJSONHandler(io.Discard, nil), sampling.DefaultOptions()), scope.HandlerOptions{}))
	for _, bc := range []struct {
		name   string
		h      http.Handler
		header map[string]string
	}{
		{name: "bare", h: hello},
		{name: "no-access-log", h: Middleware(Options{Logger: discard})(hello)},
		{name: "access-log-discard", h: Middleware(withDefaults(Options{Logger: discard}))(hello)},
		{name: "access-log-discard/incoming-id", h: Middleware(withDefaults(Options{Logger: discard}))(hello), header: map[string]string{"X-Correlation-ID": "0af7651916cd43dd8448eb211c80319c"}},
		{name: "access-log-discard/traceparent", h: Middleware(withDefaults(Options{Logger: discard}))(hello), header: map[string]string{"Traceparent": validTP}},
		{name: "access-log-json-stack/sampled", h: Middleware(withDefaults(Options{Logger: jsonLogger, Policy: sampling.Policy{Rate: 1}}))(hello)},
		{name: "access-log-json-stack/not-sampled", h: Middleware(withDefaults(Options{Logger: jsonLogger, Policy: sampling.Policy{Rate: 0}}))(hello)},
		{name: "body-capture", h: Middleware(withDefaults(Options{Logger: discard, Body: BodyOptions{Response: true}}))(hello)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/orders/42", nil)
			for k, v := range bc.header {
				req.Header.Set(k, v)
			}
			w := &nopWriter{header: http.Header{}}
			loop(b, func() { bc.h.ServeHTTP(w, req) })
		})
	}
}

func BenchmarkParseTraceparent(b *testing.B) {
	for _, bc := range []struct{ name, v string }{
		{"valid", validTP},
		{"invalid-upper", strings.ToUpper(validTP)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			loop(b, func() { _, _ = traceparent.Parse(bc.v) })
		})
	}
}

func BenchmarkValidCorrelationID(b *testing.B) {
	loop(b, func() { _ = reqscope.ValidID("0af7651916cd43dd8448eb211c80319c") })
}
