package httpctx

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slogstack/slogstack/sampling"
)

// sampledHeader serves one request to path through h and returns its
// X-Log-Sampled header.
func sampledHeader(h http.Handler, path string) string {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-Correlation-ID", "policy-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Header().Get("X-Log-Sampled")
}

// TestPolicyKinds checks each kind of Options.Policy: nil decides as the
// zero Policy (nothing sampled); a Policy value is the middleware's own
// (the caller changing its path lists later changes nothing); a
// *sampling.PolicyVar is read per request (a Store changes the requests
// after it).
func TestPolicyKinds(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

	if got := sampledHeader(Middleware(Options{})(ok), "/x"); got != "false" {
		t.Errorf("nil Policy: X-Log-Sampled %q, want false", got)
	}

	paths := []string{"/pay"}
	h := Middleware(Options{Policy: sampling.Policy{AlwaysSamplePaths: paths}})(ok)
	paths[0] = "/other"
	if got := sampledHeader(h, "/pay"); got != "true" {
		t.Errorf("Policy value, caller changed its list after: /pay X-Log-Sampled %q, want true", got)
	}
	if got := sampledHeader(h, "/other"); got != "false" {
		t.Errorf("Policy value, caller changed its list after: /other X-Log-Sampled %q, want false", got)
	}

	v := new(sampling.PolicyVar)
	h = Middleware(Options{Policy: v})(ok)
	if got := sampledHeader(h, "/x"); got != "false" {
		t.Errorf("zero PolicyVar: X-Log-Sampled %q, want false", got)
	}
	v.Store(sampling.Policy{Rate: 1})
	if got := sampledHeader(h, "/x"); got != "true" {
		t.Errorf("PolicyVar after Store(rate 1): X-Log-Sampled %q, want true", got)
	}
}

// TestNilPolicyVarPanics checks that a nil *sampling.PolicyVar is refused
// when the middleware is made, with a message saying so, rather than on
// every request.
func TestNilPolicyVarPanics(t *testing.T) {
	defer func() {
		const want = "httpctx: Options.Policy is a nil *sampling.PolicyVar"
		if r := recover(); r != want {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	Middleware(Options{Policy: (*sampling.PolicyVar)(nil)})
}
