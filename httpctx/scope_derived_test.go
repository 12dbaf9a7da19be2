package httpctx

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/scope"
	"go.opentelemetry.io/otel/trace"
)

type derivedKey struct{}

// TestRequestScopeThroughDerivedContexts checks that the request's scope,
// held in the request's context, is found through contexts the handler
// derives from it (WithoutCancel for work that outlives the request,
// WithTimeout, WithValue, a child span, a nested Start): every record
// carries the request's correlation ID (or the nested scope's) and the
// trace IDs of the span in force, also when logged after the response.
func TestRequestScopeThroughDerivedContexts(t *testing.T) {
	reqSpan := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:  trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
	})
	childSpan := trace.NewSpanContext(trace.SpanContextConfig{TraceID: reqSpan.TraceID(), SpanID: trace.SpanID{9, 9, 9, 9, 9, 9, 9, 9}})
	var sink logtest.Buffer
	logger := slog.New(scope.NewHandler(sink.JSONHandler(slog.LevelDebug), scope.HandlerOptions{}))
	m := newMiddleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))
	var later context.Context
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		logger.InfoContext(ctx, "exact")
		logger.InfoContext(context.WithValue(ctx, derivedKey{}, 1), "value")
		tctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		logger.InfoContext(tctx, "timeout")
		logger.InfoContext(trace.ContextWithSpanContext(ctx, childSpan), "child span")
		nested, end := scope.Start(ctx, scope.Options{CorrelationID: "nested"})
		logger.InfoContext(nested, "nested")
		end(nil)
		logger.InfoContext(ctx, "after nested")
		later = context.WithoutCancel(ctx)
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req = req.WithContext(trace.ContextWithSpanContext(req.Context(), reqSpan))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	logger.InfoContext(later, "after the response")
	id := rec.Header().Get("X-Correlation-ID")
	if id == "" {
		t.Fatal("no correlation ID header")
	}
	tid, sid, csid := reqSpan.TraceID().String(), reqSpan.SpanID().String(), childSpan.SpanID().String()
	want := []map[string]any{
		{"msg": "exact", "correlation_id": id, "trace_id": tid, "span_id": sid},
		{"msg": "value", "correlation_id": id, "trace_id": tid, "span_id": sid},
		{"msg": "timeout", "correlation_id": id, "trace_id": tid, "span_id": sid},
		{"msg": "child span", "correlation_id": id, "trace_id": tid, "span_id": csid},
		{"msg": "nested", "correlation_id": "nested", "trace_id": tid, "span_id": sid},
		{"msg": "after nested", "correlation_id": id, "trace_id": tid, "span_id": sid},
		{"msg": "after the response", "correlation_id": id, "trace_id": tid, "span_id": sid},
	}
	got := sink.Lines(t)
	for _, l := range got {
		delete(l, "level")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
