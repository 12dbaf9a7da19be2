package scope

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

var carrierKey = []byte("scope-force-key-0123456789abcdef")

// TestMessageRoundTrip checks a queued message: the producer's scope is
// injected into the message's headers, and the consumer's Start with
// Carrier opens a scope with the same correlation ID, span (trace state
// included) and forced token, forced again with the same key.
func TestMessageRoundTrip(t *testing.T) {
	tok, err := sampling.ForceToken(carrierKey, "msg-1", time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	span := injectSpanContext(t, 0x11, 0x22)
	producer := scopeContext("msg-1", span, tok)
	headers := propagation.MapCarrier{}
	Inject(producer, headers)

	ctx, end := Start(context.Background(), Options{Carrier: headers, ForceKey: carrierKey, Policy: sampling.Policy{Rate: 0}})
	defer end(nil)
	s := scopeOf(ctx)
	got := struct {
		ID       string
		Trace    string
		Span     string
		State    string
		Remote   bool
		Token    string
		Decision Decision
	}{s.CorrelationID(), s.SpanContext().TraceID().String(), s.SpanContext().SpanID().String(), s.SpanContext().TraceState().String(), s.SpanContext().IsRemote(), s.ForceToken(), mustDecision(t, ctx)}
	want := got
	want.ID, want.Trace, want.Span, want.State, want.Remote, want.Token = "msg-1", span.TraceID().String(), span.SpanID().String(), "vendor=x", true, tok
	want.Decision = Decision{Sampled: true, Rate: 1, Reason: "forced"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumer's scope (-want +got):\n%s", diff)
	}
	// The consumer passes it all on again.
	again := propagation.MapCarrier{}
	Inject(ctx, again)
	if diff := cmp.Diff(headers, again); diff != "" {
		t.Errorf("headers passed on (-first hop +second hop):\n%s", diff)
	}
}

func mustDecision(t *testing.T, ctx context.Context) Decision {
	t.Helper()
	d, ok := DecisionOf(ctx)
	if !ok {
		t.Fatal("no scope")
	}
	return d
}

// TestStartCarrier checks each value Start takes from a carrier and what
// wins over it.
func TestStartCarrier(t *testing.T) {
	tok := func(id string, key []byte) string {
		s, err := sampling.ForceToken(key, id, time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	carried := injectSpanContext(t, 0x11, 0x22)
	own := injectSpanContext(t, 0x33, 0x44)
	const carriedTP = "00-11010000000000000000000000000000-2202000000000000-01"
	tests := []struct {
		name       string
		ctx        context.Context
		opts       Options
		wantID     string // "" for a generated one
		wantTrace  string // trace ID hex; "" for none
		wantReason string
	}{
		{"ID, span and token", context.Background(),
			Options{Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1", "traceparent": carriedTP, "X-Log-Force": tok("m-1", carrierKey)}, ForceKey: carrierKey},
			"m-1", carried.TraceID().String(), "forced"},
		{"CorrelationID wins over the carrier's", context.Background(),
			Options{CorrelationID: "mine", Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1"}},
			"mine", "", "rate"},
		{"token for the carrier's ID does not force another ID", context.Background(),
			Options{CorrelationID: "mine", Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1", "X-Log-Force": tok("m-1", carrierKey)}, ForceKey: carrierKey},
			"mine", "", "rate"},
		{"invalid carried ID: the trace ID", context.Background(),
			Options{Carrier: propagation.MapCarrier{"X-Correlation-ID": "bad id", "traceparent": carriedTP}},
			carried.TraceID().String(), carried.TraceID().String(), "rate"},
		{"invalid traceparent ignored", context.Background(),
			Options{Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1", "traceparent": "00-zz"}},
			"m-1", "", "rate"},
		{"SpanContext wins over the carrier's", context.Background(),
			Options{SpanContext: own, Carrier: propagation.MapCarrier{"traceparent": carriedTP}},
			own.TraceID().String(), own.TraceID().String(), "rate"},
		{"the context's span wins over the carrier's", trace.ContextWithSpanContext(context.Background(), own),
			Options{Carrier: propagation.MapCarrier{"traceparent": carriedTP}},
			own.TraceID().String(), own.TraceID().String(), "rate"},
		{"token without a key: ignored", context.Background(),
			Options{Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1", "X-Log-Force": tok("m-1", carrierKey)}},
			"m-1", "", "rate"},
		{"token made with another key: ignored", context.Background(),
			Options{Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1", "X-Log-Force": tok("m-1", []byte("another-key-0123456789abcdef"))}, ForceKey: carrierKey},
			"m-1", "", "rate"},
		{"malformed token: ignored", context.Background(),
			Options{Carrier: propagation.MapCarrier{"X-Correlation-ID": "m-1", "X-Log-Force": "v1.x.y"}, ForceKey: carrierKey},
			"m-1", "", "rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Policy = sampling.Policy{Rate: 0}
			ctx, end := Start(tt.ctx, tt.opts)
			defer end(nil)
			s := scopeOf(ctx)
			gotTrace := ""
			if s.SpanContext().IsValid() {
				gotTrace = s.SpanContext().TraceID().String()
			}
			d := mustDecision(t, ctx)
			if tt.wantID != "" && s.CorrelationID() != tt.wantID || tt.wantID == "" && len(s.CorrelationID()) != 32 {
				t.Errorf("ID %q, want %q", s.CorrelationID(), tt.wantID)
			}
			if gotTrace != tt.wantTrace || d.Reason != tt.wantReason || (d.Reason == "forced") != (s.ForceToken() != "") {
				t.Errorf("trace %q reason %q token %q; want trace %q reason %q", gotTrace, d.Reason, s.ForceToken(), tt.wantTrace, tt.wantReason)
			}
		})
	}
}

func TestStartForceKeyTooShortPanics(t *testing.T) {
	defer func() {
		want := fmt.Sprintf("scope: Options.ForceKey has %d bytes; a key must have at least 16 (32 random bytes are best), or be nil to turn forced sampling off", 15)
		if r := recover(); r != want {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	Start(context.Background(), Options{ForceKey: make([]byte, 15)})
}
