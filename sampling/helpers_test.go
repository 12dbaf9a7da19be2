package sampling

import (
	"context"
	"log/slog"
	"time"

	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// newJSON returns a JSON handler without times, writing to a new buffer.
func newJSON(level slog.Leveler) (*logtest.Buffer, slog.Handler) {
	b := &logtest.Buffer{}
	return b, b.JSONHandler(level)
}

// open returns a context carrying a new scope with decision d.
func open(d reqscope.Decision) (context.Context, *reqscope.Scope) {
	s := reqscope.New("cid", trace.SpanContext{}, d)
	return reqscope.NewContext(context.Background(), s), s
}

var (
	notSampled = reqscope.Decision{Sampled: false, Rate: 0.1, Reason: reqscope.ReasonRate}
	sampledBy  = reqscope.Decision{Sampled: true, Rate: 0.1, Reason: reqscope.ReasonRate}
)

// rec builds an expected output record.
func rec(level, msg string, kv ...any) map[string]any {
	m := map[string]any{"level": level, "msg": msg}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// kept adds the annotations of a rescued record with rate r.
func kept(m map[string]any, r float64) map[string]any {
	m[sampledKey], m[sampleRateKey], m[sampleReasonKey] = true, r, reqscope.ReasonError
	return m
}

var time0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// withRecords returns DefaultOptions with MaxRequestRecords n.
func withRecords(n int) Options {
	o := DefaultOptions()
	o.MaxRequestRecords = n
	return o
}

// withRequestBytes returns DefaultOptions with MaxRequestBytes n.
func withRequestBytes(n int) Options {
	o := DefaultOptions()
	o.MaxRequestBytes = n
	return o
}

// withBudget returns DefaultOptions with MaxBufferedBytes n.
func withBudget(n int64) Options {
	o := DefaultOptions()
	o.MaxBufferedBytes = n
	return o
}
