package httpctx

import (
	"net/http"

	"github.com/slogstack/slogstack/scope"
)

// Transport returns an http.RoundTripper that passes the work of each
// request's context on to the service it calls, then sends the request
// with base (nil means http.DefaultTransport). It sets on the outgoing
// request, with scope.Inject, X-Correlation-ID (the correlation ID of the
// scope in the request's context), traceparent and tracestate (its span
// context) and X-Log-Force (the token of a forced request), so that the
// called service, behind Middleware, logs with the same correlation ID and
// makes the same sampling decision.
//
// A header the request already has is never overwritten. The caller's
// request is not modified: when something is added, base gets a shallow
// copy of it with a copy of its header. Transport composes with
// OpenTelemetry's otelhttp.NewTransport in either order: inside it,
// otelhttp's traceparent (its client span) replaces the one set here; around
// it, otelhttp's is already set and is kept. A request whose context
// carries no scope and no span is passed to base unchanged.
// CloseIdleConnections is forwarded to base when base has it.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

// transport is the RoundTripper Transport returns.
type transport struct {
	base http.RoundTripper
}

// RoundTrip injects the context's scope into a copy of r's header, when it
// adds anything, and sends the request with the base transport.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	c := &copyOnSet{req: r}
	scope.Inject(r.Context(), c)
	if c.out != nil {
		r = c.out
	}
	return t.base.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it has that method.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// copyOnSet is a carrier over a request's header that copies the request
// and its header on the first Set, and sets into the copy (out).
type copyOnSet struct {
	req *http.Request
	out *http.Request
}

// header is the header read and written: the copy's once there is one.
func (c *copyOnSet) header() http.Header {
	if c.out != nil {
		return c.out.Header
	}
	return c.req.Header
}

func (c *copyOnSet) Get(key string) string { return c.header().Get(key) }

func (c *copyOnSet) Set(key, value string) {
	if c.out == nil {
		out := new(http.Request)
		*out = *c.req
		out.Header = c.req.Header.Clone()
		if out.Header == nil {
			out.Header = make(http.Header)
		}
		c.out = out
	}
	c.out.Header.Set(key, value)
}

func (c *copyOnSet) Keys() []string {
	h := c.header()
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}
