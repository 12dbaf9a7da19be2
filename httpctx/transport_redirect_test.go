package httpctx

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"
)

// redirector is a base transport that answers each request with the
// redirect its path names (Location: the target) or 204, and records the
// X-Log-Force and X-Correlation-ID each host received, in order.
type redirector struct {
	mu        sync.Mutex
	redirects map[string]string // request URL -> Location
	noRequest bool              // answer without Response.Request, as some stand-ins do
	got       []string          // "host force=... id=..." per request
}

func (rd *redirector) RoundTrip(r *http.Request) (*http.Response, error) {
	rd.mu.Lock()
	rd.got = append(rd.got, r.URL.Host+" force="+r.Header.Get("X-Log-Force")+" id="+r.Header.Get("X-Correlation-ID"))
	rd.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: r}
	if loc, ok := rd.redirects[r.URL.String()]; ok {
		resp.StatusCode = http.StatusFound
		resp.Header.Set("Location", loc)
	}
	if rd.noRequest {
		resp.Request = nil
	}
	return resp, nil
}

// TestTransportRedirects checks that a forced request's token follows a
// client's redirects only within the first request's host and its
// subdomains (as net/http does with Authorization and Cookie), once a hop
// left them never again, and that the correlation ID follows every hop.
func TestTransportRedirects(t *testing.T) {
	const tok = "v1.9.mac"
	tests := []struct {
		name      string
		redirects map[string]string
		noRequest bool
		want      []string
	}{
		{
			name:      "same host",
			redirects: map[string]string{"http://svc.example/a": "http://svc.example/b"},
			want:      []string{"svc.example force=" + tok + " id=order-7", "svc.example force=" + tok + " id=order-7"},
		},
		{
			name:      "same host, other port",
			redirects: map[string]string{"http://svc.example/a": "https://svc.example:8443/b"},
			want:      []string{"svc.example force=" + tok + " id=order-7", "svc.example:8443 force=" + tok + " id=order-7"},
		},
		{
			name:      "subdomain",
			redirects: map[string]string{"http://svc.example/a": "http://eu.svc.example/b"},
			want:      []string{"svc.example force=" + tok + " id=order-7", "eu.svc.example force=" + tok + " id=order-7"},
		},
		{
			name:      "another host",
			redirects: map[string]string{"http://svc.example/a": "http://storage.other.example/blob"},
			want:      []string{"svc.example force=" + tok + " id=order-7", "storage.other.example force= id=order-7"},
		},
		{
			name:      "a parent domain is another host",
			redirects: map[string]string{"http://eu.svc.example/a": "http://svc.example/b"},
			want:      []string{"eu.svc.example force=" + tok + " id=order-7", "svc.example force= id=order-7"},
		},
		{
			name:      "a suffix that is not a subdomain",
			redirects: map[string]string{"http://svc.example/a": "http://evilsvc.example/b"},
			want:      []string{"svc.example force=" + tok + " id=order-7", "evilsvc.example force= id=order-7"},
		},
		{
			name: "back to the first host after another: not again",
			redirects: map[string]string{
				"http://svc.example/a":   "http://other.example/b",
				"http://other.example/b": "http://svc.example/c",
			},
			want: []string{"svc.example force=" + tok + " id=order-7", "other.example force= id=order-7", "svc.example force= id=order-7"},
		},
		{
			name:      "redirect whose previous request is unknown: not passed on",
			redirects: map[string]string{"http://svc.example/a": "http://svc.example/b"},
			noRequest: true,
			want:      []string{"svc.example force=" + tok + " id=order-7", "svc.example force= id=order-7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &redirector{redirects: tt.redirects, noRequest: tt.noRequest}
			client := &http.Client{Transport: Transport(base)}
			req, err := http.NewRequestWithContext(transportScope(trace.SpanContext{}, tok), http.MethodGet, firstURL(tt.redirects), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if diff := cmp.Diff(tt.want, base.got); diff != "" {
				t.Errorf("hops (-want +got):\n%s", diff)
			}
		})
	}
}

// firstURL returns the URL of redirects that no redirect leads to.
func firstURL(redirects map[string]string) string {
	targets := make(map[string]bool)
	for _, to := range redirects {
		targets[to] = true
	}
	for from := range redirects {
		if !targets[from] {
			return from
		}
	}
	return ""
}
