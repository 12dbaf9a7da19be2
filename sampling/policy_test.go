package sampling

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"
)

// decision is Policy.Decide's three results, for comparison.
type decision struct {
	Sampled bool
	Rate    float64
	Reason  string
}

func TestPolicyDecide(t *testing.T) {
	sampledSpan := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	})
	unsampledSpan := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2},
	})
	const id = "0af7651916cd43dd8448eb211c80319c"
	tests := []struct {
		name string
		p    Policy
		path string
		sc   trace.SpanContext
		want decision
	}{
		// Zero means zero: no hidden rate, no hidden excluded paths.
		{name: "zero policy samples none", p: Policy{}, path: "/orders", want: decision{false, 0, "rate"}},
		{name: "zero policy excludes nothing", p: Policy{}, path: "/health", want: decision{false, 0, "rate"}},
		{name: "nil excluded paths exclude nothing", p: Policy{Rate: 1, ExcludedPaths: nil}, path: "/healthz", want: decision{true, 1, "rate"}},
		{name: "empty excluded paths exclude nothing", p: Policy{Rate: 1, ExcludedPaths: []string{}}, path: "/healthz", want: decision{true, 1, "rate"}},
		{name: "rate 0 samples none", p: Policy{Rate: 0}, path: "/x", want: decision{false, 0, "rate"}},
		{name: "rate 1 samples all", p: Policy{Rate: 1}, path: "/x", want: decision{true, 1, "rate"}},
		{name: "rate above 1 is 1", p: Policy{Rate: 7}, path: "/x", want: decision{true, 1, "rate"}},
		{name: "negative rate is 0", p: Policy{Rate: -1}, path: "/x", want: decision{false, 0, "rate"}},
		{name: "NaN rate is 0", p: Policy{Rate: math.NaN()}, path: "/x", want: decision{false, 0, "rate"}},
		{name: "+Inf rate is 1", p: Policy{Rate: math.Inf(1)}, path: "/x", want: decision{true, 1, "rate"}},
		{name: "rate decides by the ID", p: Policy{Rate: 0.5}, path: "/x", want: decision{Decide(id, 0.5), 0.5, "rate"}},
		// First match wins: excluded, then path, then trace, then rate.
		{name: "excluded exact", p: Policy{Rate: 1, ExcludedPaths: []string{"/health"}}, path: "/health", want: decision{false, 1, "excluded"}},
		{name: "excluded not a prefix without slash", p: Policy{Rate: 1, ExcludedPaths: []string{"/health"}}, path: "/healthy", want: decision{true, 1, "rate"}},
		{name: "excluded prefix with slash", p: Policy{Rate: 1, ExcludedPaths: []string{"/internal/"}}, path: "/internal/metrics", want: decision{false, 1, "excluded"}},
		{name: "excluded before path", p: Policy{ExcludedPaths: []string{"/pay"}, AlwaysSamplePaths: []string{"/pay"}}, path: "/pay", want: decision{false, 0, "excluded"}},
		{name: "always sampled prefix", p: Policy{Rate: 0.1, AlwaysSamplePaths: []string{"/api/v1/payments"}}, path: "/api/v1/payments/42", want: decision{true, 1, "path"}},
		{name: "empty always prefix matches nothing", p: Policy{AlwaysSamplePaths: []string{""}}, path: "/x", want: decision{false, 0, "rate"}},
		{name: "path before trace", p: Policy{FollowTrace: true, AlwaysSamplePaths: []string{"/p"}}, path: "/p", sc: unsampledSpan, want: decision{true, 1, "path"}},
		{name: "trace sampled", p: Policy{FollowTrace: true}, path: "/x", sc: sampledSpan, want: decision{true, 0, "trace"}},
		{name: "trace not sampled", p: Policy{Rate: 1, FollowTrace: true}, path: "/x", sc: unsampledSpan, want: decision{false, 1, "trace"}},
		{name: "trace ignored without FollowTrace", p: Policy{}, path: "/x", sc: sampledSpan, want: decision{false, 0, "rate"}},
		{name: "invalid span falls to rate", p: Policy{Rate: 1, FollowTrace: true}, path: "/x", want: decision{true, 1, "rate"}},
		// DefaultPolicy: 10% and the health probes excluded.
		{name: "default excludes /health", p: DefaultPolicy(), path: "/health", want: decision{false, 0.1, "excluded"}},
		{name: "default excludes /healthz", p: DefaultPolicy(), path: "/healthz", want: decision{false, 0.1, "excluded"}},
		{name: "default excludes /livez", p: DefaultPolicy(), path: "/livez", want: decision{false, 0.1, "excluded"}},
		{name: "default excludes /readyz", p: DefaultPolicy(), path: "/readyz", want: decision{false, 0.1, "excluded"}},
		{name: "default rate", p: DefaultPolicy(), path: "/orders", want: decision{Decide(id, 0.1), 0.1, "rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got decision
			got.Sampled, got.Rate, got.Reason = tt.p.Decide(tt.path, id, tt.sc)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide(%q) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

// TestDefaultPolicyFresh checks that DefaultPolicy returns new slices, so a
// caller that appends to or changes one policy changes no other.
func TestDefaultPolicyFresh(t *testing.T) {
	a := DefaultPolicy()
	a.ExcludedPaths[0] = "/changed"
	b := DefaultPolicy()
	want := Policy{Rate: 0.1, ExcludedPaths: []string{"/health", "/healthz", "/livez", "/readyz"}}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Fatalf("DefaultPolicy after a caller changed an earlier one (-want +got):\n%s", diff)
	}
}

// TestPolicyRateMonotone checks that a request sampled at one rate is
// sampled at every higher rate through the policy too.
func TestPolicyRateMonotone(t *testing.T) {
	rates := []float64{-1, 0, 0.01, 0.1, 0.5, 0.99, 1, 2}
	for _, id := range randomIDs(rand.New(rand.NewPCG(1, 2)), 2000) {
		was := false
		for _, r := range rates {
			got, _, _ := Policy{Rate: r}.Decide("/x", id, trace.SpanContext{})
			if was && !got {
				t.Fatalf("ID %q sampled below rate %g but not at it", id, r)
			}
			was = got
		}
	}
}
