package httpctx

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/scope"
)

const (
	validTP    = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	validTPID  = "4bf92f3577b34da6a3ce929d0e0e4736"
	invalidTP  = "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
	badIDValue = "bad id with spaces"
)

// TestMiddlewareCorrelationIDSources checks the order of the sources, the
// validation of each, the response header, the log and the counters.
func TestMiddlewareCorrelationIDSources(t *testing.T) {
	for _, tc := range []struct {
		name      string
		headers   map[string]string
		spanCtx   bool // an OTel span context in the request's context
		want      string
		generated bool
		stats     IDCounts
	}{
		{name: "none", generated: true, stats: IDCounts{Generated: 1}},
		{name: "correlation header", headers: map[string]string{"X-Correlation-ID": "corr-1"}, want: "corr-1", stats: IDCounts{FromCorrelationHeader: 1}},
		{name: "correlation header wins over request id", headers: map[string]string{"X-Correlation-ID": "corr-1", "X-Request-ID": "req-1"}, want: "corr-1", stats: IDCounts{FromCorrelationHeader: 1}},
		{name: "request id", headers: map[string]string{"X-Request-ID": "req-1"}, want: "req-1", stats: IDCounts{FromRequestIDHeader: 1}},
		{name: "invalid correlation falls to request id", headers: map[string]string{"X-Correlation-ID": badIDValue, "X-Request-ID": "req-1"}, want: "req-1", stats: IDCounts{FromRequestIDHeader: 1, RejectedCorrelationHeader: 1}},
		{name: "both invalid", headers: map[string]string{"X-Correlation-ID": badIDValue, "X-Request-ID": strings.Repeat("x", 129)}, generated: true, stats: IDCounts{Generated: 1, RejectedCorrelationHeader: 1, RejectedRequestIDHeader: 1}},
		{name: "empty header is rejected", headers: map[string]string{"X-Correlation-ID": ""}, generated: true, stats: IDCounts{Generated: 1, RejectedCorrelationHeader: 1}},
		{name: "traceparent", headers: map[string]string{"traceparent": validTP}, want: validTPID, stats: IDCounts{FromTraceparent: 1}},
		{name: "invalid traceparent", headers: map[string]string{"traceparent": invalidTP}, generated: true, stats: IDCounts{Generated: 1, RejectedTraceparent: 1}},
		{name: "upper-case traceparent", headers: map[string]string{"traceparent": strings.ToUpper(validTP)}, generated: true, stats: IDCounts{Generated: 1, RejectedTraceparent: 1}},
		{name: "header wins over traceparent", headers: map[string]string{"X-Request-ID": "req-1", "traceparent": validTP}, want: "req-1", stats: IDCounts{FromRequestIDHeader: 1}},
		{name: "span context", spanCtx: true, want: testTraceID.String(), stats: IDCounts{FromSpanContext: 1}},
		{name: "span context wins over traceparent", spanCtx: true, headers: map[string]string{"traceparent": validTP}, want: testTraceID.String(), stats: IDCounts{FromSpanContext: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			m := newMiddleware(withDefaults(Options{Logger: slogNew(scope.NewHandler(sink.JSONHandler(slog.LevelDebug), scope.HandlerOptions{}))}))
			var inside string
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inside = scope.CorrelationID(r.Context())
			}))
			req := httptest.NewRequest("GET", "/x", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if tc.spanCtx {
				req = req.WithContext(withSpan(req.Context(), testSpanContext))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Correlation-ID")
			if tc.generated {
				if len(got) != 32 || !reqscope.ValidID(got) {
					t.Errorf("generated ID %q is not 32 hex characters", got)
				}
			} else if got != tc.want {
				t.Errorf("X-Correlation-ID = %q, want %q", got, tc.want)
			}
			if inside != got {
				t.Errorf("CorrelationID in the handler = %q, header = %q", inside, got)
			}
			recs := sink.Lines(t)
			if len(recs) != 1 || recs[0]["correlation_id"] != got {
				t.Errorf("access record correlation_id: %v, want %q", recs, got)
			}
			for _, l := range textLines(&sink) {
				if strings.Contains(l, "bad id") || strings.Contains(l, strings.Repeat("x", 129)) {
					t.Errorf("a rejected ID reached the log: %s", l)
				}
			}
			if s := m.Stats().IDs; s != tc.stats {
				t.Errorf("IDCounts = %+v, want %+v", s, tc.stats)
			}
		})
	}
}

// FuzzCorrelationIDHeaders sends arbitrary X-Correlation-ID, X-Request-ID
// and traceparent values through the middleware: it must never panic, the
// ID in the response header and in the log must always be valid, a valid
// incoming ID must be used as is, and an invalid one never echoed.
func FuzzCorrelationIDHeaders(f *testing.F) {
	f.Add("corr-1", "", "")
	f.Add("", "req-1", "")
	f.Add("", "", validTP)
	f.Add("bad id", "also bad\n", invalidTP)
	f.Add(strings.Repeat("a", 129), "\xff", "00-"+strings.Repeat("A", 32)+"-00f067aa0ba902b7-01")
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slogNew(scope.NewHandler(sink.JSONHandler(slog.LevelDebug), scope.HandlerOptions{}))}))
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("inside")
	}))
	f.Fuzz(func(t *testing.T, corr, reqID, tp string) {
		sink.Reset()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header[headerCorrelationID] = []string{corr}
		req.Header[headerRequestID] = []string{reqID}
		req.Header[headerTraceparent] = []string{tp}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(headerCorrelationID)
		if !reqscope.ValidID(got) {
			t.Fatalf("invalid ID %q in the response header", got)
		}
		switch {
		case reqscope.ValidID(corr):
			if got != corr {
				t.Fatalf("valid X-Correlation-ID %q replaced by %q", corr, got)
			}
		case reqscope.ValidID(reqID):
			if got != reqID {
				t.Fatalf("valid X-Request-ID %q replaced by %q", reqID, got)
			}
		default:
			if got == corr || got == reqID {
				t.Fatalf("invalid incoming ID %q echoed", got)
			}
		}
		recs := sink.Lines(t)
		if len(recs) != 2 {
			t.Fatalf("got %d records, want 2", len(recs))
		}
		for _, r := range recs {
			if r["correlation_id"] != got {
				t.Fatalf("record correlation_id %v, want %q", r["correlation_id"], got)
			}
		}
	})
}
