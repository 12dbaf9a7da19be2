package scope

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/slogstack/slogstack/internal/scopectx"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"
)

type exactTestKey struct{}

// TestHandlerExactScopeContext checks that a record logged with exactly the
// context Start returned (which Handler reads without walking the context
// chain) gets the same correlation attributes as one logged with a context
// derived from it (which Handler looks up the long way).
func TestHandlerExactScopeContext(t *testing.T) {
	parentSpan := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		SpanID:  trace.SpanID{0x0b, 1, 2, 3, 4, 5, 6, 7},
	})
	startSpan := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		SpanID:  trace.SpanID{0x0d, 1, 2, 3, 4, 5, 6, 7},
	})
	for _, tc := range []struct {
		name      string
		parent    trace.SpanContext // span in the context passed to Start
		start     trace.SpanContext // Options.SpanContext
		wantTrace trace.SpanContext // the IDs expected on the record
	}{
		{"no span", trace.SpanContext{}, trace.SpanContext{}, trace.SpanContext{}},
		{"span in the parent context", parentSpan, trace.SpanContext{}, parentSpan},
		{"span in the options only", trace.SpanContext{}, startSpan, startSpan},
		{"context span wins over the options", parentSpan, startSpan, parentSpan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := context.Background()
			if tc.parent.IsValid() {
				parent = trace.ContextWithSpanContext(parent, tc.parent)
			}
			ctx, end := Start(parent, Options{CorrelationID: "job-7", SpanContext: tc.start})
			defer end(nil)
			if _, ok := ctx.(*scopectx.State); !ok {
				t.Fatalf("Start returned a %T, want the scope's state", ctx)
			}
			want := map[string]any{"msg": "m", keyCorrelationID: "job-7"}
			if tc.wantTrace.IsValid() {
				want[keyTraceID] = tc.wantTrace.TraceID().String()
				want[keySpanID] = tc.wantTrace.SpanID().String()
			}
			for _, c := range []struct {
				name string
				ctx  context.Context
			}{
				{"exact", ctx},
				{"derived", context.WithValue(ctx, exactTestKey{}, 1)},
			} {
				var buf bytes.Buffer
				h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
					ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
						if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
							return slog.Attr{}
						}
						return a
					},
				}), HandlerOptions{})
				slog.New(h).InfoContext(c.ctx, "m")
				var got map[string]any
				if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
					t.Fatalf("%s: %v in %q", c.name, err, buf.Bytes())
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s context (-want +got):\n%s", c.name, diff)
				}
			}
		})
	}
}
