package httpctx

import (
	"net/http"
	"net/url"
	"strings"

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
// The forced-sampling token is a credential (whoever holds it can have
// requests with that correlation ID logged whole until it expires), so it
// goes only where the request was sent: on a redirect the client follows
// it is passed on only while every hop stays on the first request's host
// or a subdomain of it, as net/http passes on Authorization and Cookie.
// Every service the client calls gets it, so give Transport to the
// clients that call your own services, not to those that call third
// parties.
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
	c := &copyOnSet{req: r, withholdForce: !forwardsForceToken(r)}
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

// maxRedirectHops bounds the redirect chain forwardsForceToken follows; a
// longer one (net/http's client stops at 10) withholds the token.
const maxRedirectHops = 64

// forwardsForceToken reports whether the forced-sampling token may be sent
// with r: always with a first request; with a redirect a client follows
// (r.Response is set), only when r and every request before it went to the
// first request's host or a subdomain of it. A chain that cannot be
// followed back to its first request withholds the token.
func forwardsForceToken(r *http.Request) bool {
	if r.Response == nil {
		return true
	}
	first := r
	for hops := 0; first.Response != nil; hops++ {
		if hops == maxRedirectHops || first.Response.Request == nil {
			return false
		}
		first = first.Response.Request
	}
	if first.URL == nil {
		return false
	}
	home := strings.ToLower(first.URL.Hostname())
	for hop := r; hop != first; hop = hop.Response.Request {
		if !sameSite(hop.URL, home) {
			return false
		}
	}
	return true
}

// sameSite reports whether u's host is home or a subdomain of it (home is
// lower case).
func sameSite(u *url.URL, home string) bool {
	if u == nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == home {
		return true
	}
	// An IPv6 address (or one with a zone) is never a subdomain.
	if home == "" || strings.ContainsAny(host, ":%") {
		return false
	}
	return strings.HasSuffix(host, "."+home)
}

// copyOnSet is a carrier over a request's header that copies the request
// and its header on the first Set, and sets into the copy (out). With
// withholdForce, it drops the forced-sampling token.
type copyOnSet struct {
	req           *http.Request
	out           *http.Request
	withholdForce bool
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
	if c.withholdForce && http.CanonicalHeaderKey(key) == headerForce {
		return
	}
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
