package httpctx

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"go.opentelemetry.io/otel/trace"
)

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sentHeaders is a base transport that records the header of each request
// it is given and answers 204.
type sentHeaders struct {
	got  []http.Header
	reqs []*http.Request
}

func (s *sentHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	s.got = append(s.got, r.Header.Clone())
	s.reqs = append(s.reqs, r)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
}

// otelStandIn stands for otelhttp.NewTransport: it sets traceparent (its
// client span) on a copy of the request, overwriting any, as otelhttp's
// propagator does.
func otelStandIn(next http.RoundTripper, traceparent string) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("traceparent", traceparent)
		return next.RoundTrip(r)
	})
}

// transportScope returns a context with a scope (ID "order-7", span sc,
// forced with token when token is not "").
func transportScope(sc trace.SpanContext, token string) context.Context {
	d := reqscope.Decision{Sampled: false, Rate: 0.1, Reason: reqscope.ReasonRate}
	if token != "" {
		d = reqscope.Decision{Sampled: true, Rate: 1, Reason: reqscope.ReasonForced}
	}
	ctx, st := scopectx.Open(context.Background(), trace.SpanContext{}, "order-7", sc, d, nil)
	st.Scope.SetForceToken(token)
	return ctx
}

func TestTransport(t *testing.T) {
	span := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1}, SpanID: trace.SpanID{0xcd, 2}, TraceFlags: trace.FlagsSampled,
	})
	const spanTP = "00-ab010000000000000000000000000000-cd02000000000000-01"
	const otelTP = "00-11111111111111111111111111111111-2222222222222222-01"
	tests := []struct {
		name   string
		ctx    context.Context
		preset http.Header
		wrap   func(http.RoundTripper) http.RoundTripper // the stack of transports around base
		want   http.Header
	}{
		{
			name: "no scope, no span: request unchanged",
			ctx:  context.Background(),
			wrap: Transport,
			want: http.Header{"Accept": {"*/*"}},
		},
		{
			name: "no scope: only traceparent",
			ctx:  trace.ContextWithSpanContext(context.Background(), span),
			wrap: Transport,
			want: http.Header{"Accept": {"*/*"}, "Traceparent": {spanTP}},
		},
		{
			name: "scope: ID and span",
			ctx:  transportScope(span, ""),
			wrap: Transport,
			want: http.Header{"Accept": {"*/*"}, "X-Correlation-Id": {"order-7"}, "Traceparent": {spanTP}},
		},
		{
			name: "forced scope: token forwarded",
			ctx:  transportScope(trace.SpanContext{}, "v1.9.mac"),
			wrap: Transport,
			want: http.Header{"Accept": {"*/*"}, "X-Correlation-Id": {"order-7"}, "X-Log-Force": {"v1.9.mac"}},
		},
		{
			name:   "the caller's headers are never overwritten",
			ctx:    transportScope(span, "v1.9.mac"),
			preset: http.Header{"X-Correlation-Id": {"callers"}, "Traceparent": {otelTP}, "X-Log-Force": {"own"}},
			wrap:   Transport,
			want:   http.Header{"Accept": {"*/*"}, "X-Correlation-Id": {"callers"}, "Traceparent": {otelTP}, "X-Log-Force": {"own"}},
		},
		{
			name: "otelhttp inside: its traceparent wins",
			ctx:  transportScope(span, ""),
			wrap: func(base http.RoundTripper) http.RoundTripper { return Transport(otelStandIn(base, otelTP)) },
			want: http.Header{"Accept": {"*/*"}, "X-Correlation-Id": {"order-7"}, "Traceparent": {otelTP}},
		},
		{
			name: "otelhttp outside: its traceparent is kept",
			ctx:  transportScope(span, ""),
			wrap: func(base http.RoundTripper) http.RoundTripper { return otelStandIn(Transport(base), otelTP) },
			want: http.Header{"Accept": {"*/*"}, "X-Correlation-Id": {"order-7"}, "Traceparent": {otelTP}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &sentHeaders{}
			req, err := http.NewRequestWithContext(tt.ctx, http.MethodGet, "http://b.example/work", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "*/*")
			for k, vs := range tt.preset {
				req.Header[k] = vs
			}
			before := req.Header.Clone()
			resp, err := tt.wrap(base).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if diff := cmp.Diff([]http.Header{tt.want}, base.got); diff != "" {
				t.Errorf("headers sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, req.Header); diff != "" {
				t.Errorf("the caller's request was modified (-before +after):\n%s", diff)
			}
		})
	}
}

// TestTransportCopiesOnlyWhenAdding checks that a request that gains no
// header is passed to the base transport as is, and that one that gains a
// header reaches it as a copy with the caller's request untouched.
func TestTransportCopiesOnlyWhenAdding(t *testing.T) {
	base := &sentHeaders{}
	tr := Transport(base)
	plain, _ := http.NewRequest(http.MethodGet, "http://b.example/", nil)
	if _, err := tr.RoundTrip(plain); err != nil {
		t.Fatal(err)
	}
	scoped, _ := http.NewRequestWithContext(transportScope(trace.SpanContext{}, ""), http.MethodGet, "http://b.example/", nil)
	if _, err := tr.RoundTrip(scoped); err != nil {
		t.Fatal(err)
	}
	if base.reqs[0] != plain {
		t.Error("a request that gained nothing was copied")
	}
	if base.reqs[1] == scoped || scoped.Header.Get("X-Correlation-ID") != "" {
		t.Error("a request that gained a header was modified in place")
	}
	if base.reqs[1].Context() != scoped.Context() || base.reqs[1].URL != scoped.URL {
		t.Error("the copy lost the request's context or URL")
	}
	// A request with a nil header gets one in the copy.
	nilHeader := scoped.WithContext(scoped.Context())
	nilHeader.Header = nil
	if _, err := tr.RoundTrip(nilHeader); err != nil {
		t.Fatal(err)
	}
	if got := base.got[2].Get("X-Correlation-ID"); got != "order-7" || nilHeader.Header != nil {
		t.Errorf("nil header: sent ID %q, caller's header %v", got, nilHeader.Header)
	}
}

// closer is a base transport that counts CloseIdleConnections calls.
type closer struct {
	sentHeaders
	closed int
}

func (c *closer) CloseIdleConnections() { c.closed++ }

func TestTransportForwardsCloseIdleConnections(t *testing.T) {
	c := &closer{}
	tr := Transport(c).(interface{ CloseIdleConnections() })
	tr.CloseIdleConnections()
	if c.closed != 1 {
		t.Errorf("CloseIdleConnections reached the base %d times, want 1", c.closed)
	}
	// A base without the method: nothing happens.
	Transport(&sentHeaders{}).(interface{ CloseIdleConnections() }).CloseIdleConnections()
	if Transport(nil).(*transport).base != http.DefaultTransport {
		t.Error("nil base is not http.DefaultTransport")
	}
}
