package httpctx

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

var (
	forceKey      = []byte("httpctx-force-key-0123456789abcd")
	otherForceKey = []byte("another-force-key-0123456789abcd")
)

// mint returns a token made with key for id, expiring after ttl.
func mint(t testing.TB, key []byte, id string, ttl time.Duration) string {
	t.Helper()
	tok, err := sampling.ForceToken(key, id, time.Now().Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forceServer returns a handler behind the middleware with key as
// ForceKey, at rate 0, whose records (one per request and the access
// record) go through the sampling handler into the returned buffer.
func forceServer(key []byte) (http.Handler, *logtest.Buffer) {
	buf := &logtest.Buffer{}
	logger := slog.New(sampling.NewHandler(scope.NewHandler(buf.JSONHandler(slog.LevelDebug), scope.HandlerOptions{}), sampling.DefaultOptions()))
	opts := DefaultOptions()
	opts.Logger = logger
	opts.Policy = sampling.Policy{Rate: 0}
	opts.ForceKey = key
	h := Middleware(opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Debug("working")
	}))
	return h, buf
}

// TestForceHeader checks each kind of token: only a valid one forces the
// request (every record written, reason forced, X-Log-Sampled true); any
// other changes nothing (the rate, 0, decides: nothing written) and is
// counted by its kind.
func TestForceHeader(t *testing.T) {
	valid := mint(t, forceKey, "req-1", 10*time.Minute)
	tests := []struct {
		name        string
		key         []byte
		header      []string // X-Log-Force values; nil: no header
		wantForced  bool
		wantCounts  ForceCounts
		wantReasons sampling.ReasonCounts
	}{
		{"valid", forceKey, []string{valid}, true, ForceCounts{Accepted: 1}, sampling.ReasonCounts{Forced: 1}},
		{"valid, second value ignored", forceKey, []string{valid, "junk"}, true, ForceCounts{Accepted: 1}, sampling.ReasonCounts{Forced: 1}},
		{"valid as second value: only the first is read", forceKey, []string{"junk", valid}, false, ForceCounts{Invalid: 1}, sampling.ReasonCounts{Rate: 1}},
		{"valid twice", forceKey, []string{valid, valid}, true, ForceCounts{Accepted: 1}, sampling.ReasonCounts{Forced: 1}},
		{"no header", forceKey, nil, false, ForceCounts{}, sampling.ReasonCounts{Rate: 1}},
		{"forged with another key", forceKey, []string{mint(t, otherForceKey, "req-1", time.Minute)}, false, ForceCounts{Forged: 1}, sampling.ReasonCounts{Rate: 1}},
		{"made for another ID", forceKey, []string{mint(t, forceKey, "req-2", time.Minute)}, false, ForceCounts{Forged: 1}, sampling.ReasonCounts{Rate: 1}},
		{"expired", forceKey, []string{expiredToken(forceKey, "req-1")}, false, ForceCounts{Expired: 1}, sampling.ReasonCounts{Rate: 1}},
		{"lifetime too long", forceKey, []string{longLivedToken(forceKey, "req-1")}, false, ForceCounts{Invalid: 1}, sampling.ReasonCounts{Rate: 1}},
		{"malformed", forceKey, []string{"please log this"}, false, ForceCounts{Invalid: 1}, sampling.ReasonCounts{Rate: 1}},
		{"empty", forceKey, []string{""}, false, ForceCounts{Invalid: 1}, sampling.ReasonCounts{Rate: 1}},
		{"oversized", forceKey, []string{valid + strings.Repeat("A", 1<<20)}, false, ForceCounts{Invalid: 1}, sampling.ReasonCounts{Rate: 1}},
		{"no key configured", nil, []string{valid}, false, ForceCounts{NoKey: 1}, sampling.ReasonCounts{Rate: 1}},
		{"empty key configured", []byte{}, []string{valid}, false, ForceCounts{NoKey: 1}, sampling.ReasonCounts{Rate: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, buf := forceServer(tt.key)
			req := httptest.NewRequest(http.MethodGet, "/work", nil)
			req.Header.Set("X-Correlation-ID", "req-1")
			req.Header["X-Log-Force"] = tt.header
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			var got []string
			for _, r := range buf.Lines(t) {
				got = append(got, fmt.Sprint(r["msg"], " ", r["_sample_reason"], " ", r["_sample_rate"]))
			}
			var want []string
			wantSampled := "false"
			if tt.wantForced {
				want = []string{"working forced 1", "request completed forced 1"}
				wantSampled = "true"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if s := rec.Header().Get("X-Log-Sampled"); s != wantSampled {
				t.Errorf("X-Log-Sampled = %q, want %q", s, wantSampled)
			}
			st, _ := StatsOf(h)
			if diff := cmp.Diff(tt.wantCounts, st.Force); diff != "" {
				t.Errorf("Stats.Force (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantReasons, st.Reasons); diff != "" {
				t.Errorf("Stats.Reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// expiredToken and longLivedToken make tokens sampling.ForceToken refuses
// to make, by minting them for a shifted clock: a token valid an hour
// ago that expired then, and one valid for 25 hours.
func expiredToken(key []byte, id string) string {
	return mintAt(key, id, time.Now().Add(-time.Hour))
}

func longLivedToken(key []byte, id string) string {
	return mintAt(key, id, time.Now().Add(25*time.Hour))
}

// TestForceTokenForm checks that sampling.ForceToken makes tokens of the
// documented form (the reference mintAt of these tests).
func TestForceTokenForm(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	got, err := sampling.ForceToken(forceKey, "req-1", exp)
	if err != nil || got != mintAt(forceKey, "req-1", exp) {
		t.Errorf("ForceToken = %q, %v; want %q", got, err, mintAt(forceKey, "req-1", exp))
	}
}

func TestForceKeyTooShortPanics(t *testing.T) {
	for _, n := range []int{1, 15} {
		func() {
			defer func() {
				want := fmt.Sprintf("httpctx: Options.ForceKey has %d bytes; a key must have at least 16 (32 random bytes are best), or be nil to turn forced sampling off", n)
				if r := recover(); r != want {
					t.Errorf("key of %d bytes: panic %v, want %q", n, r, want)
				}
			}()
			Middleware(Options{ForceKey: make([]byte, n)})
		}()
	}
	Middleware(Options{ForceKey: make([]byte, 16)}) // 16 bytes is a key
}

// TestForceKeyCopied checks that the middleware keeps its own copy of the
// key: a caller that reuses the slice does not change what verifies.
func TestForceKeyCopied(t *testing.T) {
	key := append([]byte(nil), forceKey...)
	h, buf := forceServer(key)
	copy(key, "XXXXXXXXXXXXXXXX")
	req := httptest.NewRequest(http.MethodGet, "/work", nil)
	req.Header.Set("X-Correlation-ID", "req-1")
	req.Header.Set("X-Log-Force", mint(t, forceKey, "req-1", time.Minute))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if n := len(buf.Lines(t)); n != 2 {
		t.Errorf("%d records written, want 2 (the token made with the original key forces)", n)
	}
}

// FuzzForceHeader checks that no X-Log-Force value panics the middleware,
// and that a request is forced only by a token minted with the key for its
// correlation ID and not expired: exactly when Verify of the reference
// (sampling.ForceToken's form) accepts it.
func FuzzForceHeader(f *testing.F) {
	f.Add(mint(f, forceKey, "req-1", time.Minute), "req-1")
	f.Add(mint(f, otherForceKey, "req-1", time.Minute), "req-1")
	f.Add(mint(f, forceKey, "req-1", time.Minute), "req-2")
	f.Add("v1.99999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add(strings.Repeat("v1.", 60), "req-1")
	f.Fuzz(func(t *testing.T, token, id string) {
		if strings.ContainsAny(token, "\r\n") {
			t.Skip() // net/http never delivers such a header value
		}
		req := httptest.NewRequest(http.MethodGet, "/work", nil)
		req.Header.Set("X-Correlation-ID", id)
		req.Header.Set("X-Log-Force", token)
		var d scope.Decision
		inner := Middleware(Options{Policy: sampling.Policy{Rate: 0}, ForceKey: forceKey})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ = scope.DecisionOf(r.Context())
		}))
		inner.ServeHTTP(httptest.NewRecorder(), req)
		forced := d.Reason == "forced"
		if forced != d.Sampled {
			t.Fatalf("decision %+v at rate 0", d)
		}
		if forced && !isMinted(token, id) {
			t.Fatalf("forced by %q for ID %q, which is not a token minted with the key for it", token, id)
		}
	})
}

// isMinted reports whether token is one mintAt makes with forceKey for
// id and an expiry in the next 24 hours.
func isMinted(token, id string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	var exp int64
	if _, err := fmt.Sscan(parts[1], &exp); err != nil {
		return false
	}
	now := time.Now().Unix()
	return exp > now && exp <= now+24*3600 && mintAt(forceKey, id, time.Unix(exp, 0)) == token
}
