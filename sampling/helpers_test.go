package sampling

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// sink is a concurrency-safe buffer that a slog.JSONHandler writes to.
type sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// records parses the JSON lines written so far.
func (s *sink) records(t testing.TB) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(s.buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// noTime drops the top-level time so outputs compare exactly.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// newJSON returns a JSON handler without times, writing to a new sink.
func newJSON(level slog.Leveler) (*sink, slog.Handler) {
	s := &sink{}
	return s, slog.NewJSONHandler(s, &slog.HandlerOptions{Level: level, ReplaceAttr: noTime})
}

// open returns a context carrying a new scope with decision d.
func open(d reqscope.Decision) (context.Context, *reqscope.Scope) {
	s := reqscope.New("cid", trace.SpanContext{}, d)
	return reqscope.NewContext(context.Background(), s), s
}

var (
	notSampled = reqscope.Decision{Sampled: false, Rate: 0.1, Reason: ReasonRate}
	sampledBy  = reqscope.Decision{Sampled: true, Rate: 0.1, Reason: ReasonRate}
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
	m[SampledKey], m[SampleRateKey], m[SampleReasonKey] = true, r, ReasonError
	return m
}

var time0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
