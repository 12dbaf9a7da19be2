package otlpsink

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"
)

// TestShutdownOrder: the aggregation's summary, written when the stack
// shuts down, reaches the server: the stack is drained before the batch
// processor, and the batch processor before the exporter shuts.
func TestShutdownOrder(t *testing.T) {
	for _, async := range []bool{true, false} {
		c := newCollector(t)
		cfg := plainConfig(async)
		cfg.Aggregation = true
		cfg.Level = slog.LevelDebug
		s := newTestStack(t, cfg, testOptions(c))
		const n = 50
		for range n {
			s.Logger().Debug("Connection pool size", "size", 10)
		}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("async=%v: Shutdown: %v", async, err)
		}
		var passed, summaries, folded int
		for _, r := range c.received() {
			if r.Attrs["_aggregated"] == "true" {
				summaries++
				folded += atoi(t, r.Attrs["_count"])
			} else {
				passed++
			}
		}
		agg := s.Stats().Aggregation
		if summaries == 0 || uint64(summaries) != agg.Summaries.Total() || agg.Summaries.Flush == 0 || passed+folded != n {
			t.Errorf("async=%v: server got %d records and %d summaries of %d; stack wrote %d summaries; want all %d logged",
				async, passed, summaries, folded, agg.Summaries.Total(), n)
		}
		if st := s.ExportStats(); st.Handed != st.Exported || int(st.Exported) != passed+summaries {
			t.Errorf("async=%v: ExportStats %+v, server got %d", async, st, passed+summaries)
		}
	}
}

// TestRecordsKeepTraceAndCorrelation: a record logged in a request keeps
// the span's IDs (from its context, through the async queue) and the
// request's correlation ID; a secret is masked before the wire.
func TestRecordsKeepTraceAndCorrelation(t *testing.T) {
	for _, async := range []bool{true, false} {
		c := newCollector(t)
		cfg := plainConfig(async)
		cfg.Scope.OmitTrace = true // the bridge takes the IDs from the context
		s := newTestStack(t, cfg, testOptions(c))
		traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
		spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled})
		h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.Logger().InfoContext(r.Context(), "work", "password", "hunter2", "user", "ann")
		}))
		req := httptest.NewRequestWithContext(trace.ContextWithSpanContext(context.Background(), sc), "GET", "/work", nil)
		req.Header.Set("X-Correlation-ID", "order-42")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		var work *received
		for _, r := range c.received() {
			if r.Body == "work" {
				work = &r
			}
		}
		if work == nil {
			t.Fatalf("async=%v: no work record among %d", async, len(c.received()))
		}
		got := map[string]string{
			"trace": hex.EncodeToString(work.TraceID), "span": hex.EncodeToString(work.SpanID),
			"correlation_id": work.Attrs["correlation_id"], "password": work.Attrs["password"], "user": work.Attrs["user"],
		}
		want := map[string]string{
			"trace": "4bf92f3577b34da6a3ce929d0e0e4736", "span": "00f067aa0ba902b7",
			"correlation_id": "order-42", "password": "[REDACTED]", "user": "ann",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("async=%v: record (-want +got):\n%s", async, diff)
		}
	}
}
