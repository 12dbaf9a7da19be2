package scope

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// injectSpanContext returns a sampled span context with tracestate.
func injectSpanContext(t *testing.T, traceByte, spanByte byte) trace.SpanContext {
	t.Helper()
	ts, err := trace.ParseTraceState("vendor=x")
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{traceByte, 1},
		SpanID:     trace.SpanID{spanByte, 2},
		TraceFlags: trace.FlagsSampled,
		TraceState: ts,
	})
}

// scopeContext opens a scope with id, span context sc and, when token is
// not "", a forced decision holding token.
func scopeContext(id string, sc trace.SpanContext, token string) context.Context {
	d := reqscope.Decision{Sampled: false, Rate: 0.1, Reason: reqscope.ReasonRate}
	if token != "" {
		d = reqscope.Decision{Sampled: true, Rate: 1, Reason: reqscope.ReasonForced}
	}
	ctx, st := scopectx.Open(context.Background(), trace.SpanContext{}, id, sc, d, nil)
	st.Scope.SetForceToken(token)
	return ctx
}

func TestInject(t *testing.T) {
	scopeSpan := injectSpanContext(t, 0xaa, 0xbb)
	ctxSpan := injectSpanContext(t, 0xcc, 0xdd)
	const scopeTP = "00-aa010000000000000000000000000000-bb02000000000000-01"
	const ctxTP = "00-cc010000000000000000000000000000-dd02000000000000-01"
	tests := []struct {
		name   string
		ctx    context.Context
		preset map[string]string
		want   map[string]string
	}{
		{
			name: "nil context sets nothing",
			ctx:  nil,
			want: map[string]string{},
		},
		{
			name: "no scope, no span: nothing",
			ctx:  context.Background(),
			want: map[string]string{},
		},
		{
			name: "no scope: only the span",
			ctx:  trace.ContextWithSpanContext(context.Background(), ctxSpan),
			want: map[string]string{"traceparent": ctxTP, "tracestate": "vendor=x"},
		},
		{
			name: "scope without span: only the ID",
			ctx:  scopeContext("order-1", trace.SpanContext{}, ""),
			want: map[string]string{"X-Correlation-ID": "order-1"},
		},
		{
			name: "scope with its span",
			ctx:  scopeContext("order-1", scopeSpan, ""),
			want: map[string]string{"X-Correlation-ID": "order-1", "traceparent": scopeTP, "tracestate": "vendor=x"},
		},
		{
			name: "the context's span wins over the scope's",
			ctx:  trace.ContextWithSpanContext(scopeContext("order-1", scopeSpan, ""), ctxSpan),
			want: map[string]string{"X-Correlation-ID": "order-1", "traceparent": ctxTP, "tracestate": "vendor=x"},
		},
		{
			name: "forced scope: the token",
			ctx:  scopeContext("order-1", trace.SpanContext{}, "v1.1.tok"),
			want: map[string]string{"X-Correlation-ID": "order-1", "X-Log-Force": "v1.1.tok"},
		},
		{
			name:   "nothing present is overwritten",
			ctx:    scopeContext("order-1", scopeSpan, "v1.1.tok"),
			preset: map[string]string{"X-Correlation-ID": "mine", "traceparent": "tp", "X-Log-Force": "f"},
			want:   map[string]string{"X-Correlation-ID": "mine", "traceparent": "tp", "X-Log-Force": "f"},
		},
		{
			name:   "a present traceparent keeps tracestate out",
			ctx:    scopeContext("order-1", scopeSpan, ""),
			preset: map[string]string{"traceparent": "tp"},
			want:   map[string]string{"X-Correlation-ID": "order-1", "traceparent": "tp"},
		},
		{
			name:   "a present tracestate is kept, traceparent added",
			ctx:    scopeContext("order-1", scopeSpan, ""),
			preset: map[string]string{"tracestate": "mine=1"},
			want:   map[string]string{"X-Correlation-ID": "order-1", "traceparent": scopeTP, "tracestate": "mine=1"},
		},
		{
			name:   "an empty value counts as absent",
			ctx:    scopeContext("order-1", trace.SpanContext{}, ""),
			preset: map[string]string{"X-Correlation-ID": ""},
			want:   map[string]string{"X-Correlation-ID": "order-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A message's headers: exact keys.
			m := propagation.MapCarrier{}
			for k, v := range tt.preset {
				m[k] = v
			}
			Inject(tt.ctx, m)
			if diff := cmp.Diff(tt.want, map[string]string(m)); diff != "" {
				t.Errorf("MapCarrier (-want +got):\n%s", diff)
			}
			// An HTTP header: canonical keys, the same values.
			h := http.Header{}
			for k, v := range tt.preset {
				h.Set(k, v)
			}
			Inject(tt.ctx, propagation.HeaderCarrier(h))
			want := http.Header{}
			for k, v := range tt.want {
				want.Set(k, v)
			}
			if diff := cmp.Diff(want, h); diff != "" {
				t.Errorf("HeaderCarrier (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInjectNilCarrier checks that a nil carrier, or one that is a nil
// map (the header of a request made without one, a message without
// headers), sets nothing and does not panic, whatever ctx holds.
func TestInjectNilCarrier(t *testing.T) {
	ctx := scopeContext("order-1", injectSpanContext(t, 1, 2), "v1.9.mac")
	tests := []struct {
		name    string
		carrier interface {
			Get(string) string
			Set(string, string)
			Keys() []string
		}
	}{
		{"nil", nil},
		{"nil HeaderCarrier", propagation.HeaderCarrier(nil)},
		{"nil MapCarrier", propagation.MapCarrier(nil)},
		{"nil http.Header as HeaderCarrier", propagation.HeaderCarrier((&http.Request{}).Header)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Inject(ctx, tt.carrier)
			var nilCtx context.Context
			Inject(nilCtx, tt.carrier) // a nil ctx sets nothing
		})
	}
}

// TestInjectMatchesTraceContext checks that Inject writes traceparent and
// tracestate exactly as OpenTelemetry's propagation.TraceContext does, for
// random span contexts with every flag byte.
func TestInjectMatchesTraceContext(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		var cfg trace.SpanContextConfig
		for j := range cfg.TraceID {
			cfg.TraceID[j] = byte(rng.UintN(256))
		}
		for j := range cfg.SpanID {
			cfg.SpanID[j] = byte(rng.UintN(256))
		}
		cfg.TraceFlags = trace.TraceFlags(rng.UintN(256))
		if i%2 == 0 {
			cfg.TraceState, _ = trace.ParseTraceState(fmt.Sprintf("k%d=v%d", i, rng.UintN(100)))
		}
		sc := trace.NewSpanContext(cfg)
		ctx := trace.ContextWithSpanContext(context.Background(), sc)
		want := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, want)
		got := propagation.MapCarrier{}
		Inject(ctx, got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("span %v (-TraceContext +Inject):\n%s", sc, diff)
		}
	}
}
