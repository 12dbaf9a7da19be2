package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/scope"
	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const scopeName = "github.com/slogstack/slogstack/examples/otelbridge"

// app is an HTTP service whose logs go through the slogstack stack to the
// OpenTelemetry log bridge: the stack decides which records leave the
// process (sampling, aggregation, redaction, the async queue), and the
// bridge turns the survivors into OpenTelemetry log records, stamped with
// the trace and span of the context they were logged with, for the SDK's
// logger provider to export.
type app struct {
	http   http.Handler
	stack  *slogstack.Stack
	logs   *sdklog.LoggerProvider
	traces *sdktrace.TracerProvider
}

// newApp builds the app; exp receives the exported log records.
func newApp(exp sdklog.Exporter, cfg slogstack.Config) (*app, error) {
	logs := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	traces := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))

	// The bridge is the sink. It reads the span from each record's context
	// itself, so the stack need not add trace_id and span_id attributes.
	sink := otelslog.NewHandler(scopeName, otelslog.WithLoggerProvider(logs))
	cfg.Scope.OmitTrace = true
	stack, err := slogstack.NewStackWithSink(sink, cfg)
	if err != nil {
		return nil, errors.Join(err, logs.Shutdown(context.Background()), traces.Shutdown(context.Background()))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		log := scope.Logger(r.Context()) // the request-bound logger
		log.Debug("cache miss", "order_id", r.PathValue("id"))
		log.Info("order fetched", "order_id", r.PathValue("id"))
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /orders/{id}/fail", func(w http.ResponseWriter, r *http.Request) {
		log := scope.Logger(r.Context())
		log.Info("loading order", "order_id", r.PathValue("id"))
		log.Error("order failed", "order_id", r.PathValue("id"), "error", "inventory service unavailable")
		w.WriteHeader(http.StatusInternalServerError)
	})

	tracer := traces.Tracer(scopeName)
	return &app{
		http:   traceRequests(tracer, stack.Middleware(mux)),
		stack:  stack,
		logs:   logs,
		traces: traces,
	}, nil
}

// Shutdown flushes and stops, in order: the stack (aggregation summaries,
// then the async queue, into the bridge), the log provider (its batch
// processor, into the exporter), then tracing.
func (a *app) Shutdown(ctx context.Context) error {
	return errors.Join(a.stack.Shutdown(ctx), a.logs.Shutdown(ctx), a.traces.Shutdown(ctx))
}

// traceRequests starts a server span per request, continuing the caller's
// W3C trace context.
func traceRequests(tracer trace.Tracer, next http.Handler) http.Handler {
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rw, r.WithContext(ctx))
		if rw.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rw.status))
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
