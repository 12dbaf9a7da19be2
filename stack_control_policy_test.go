package slogstack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// TestPolicyStoreKeepsOpenScopes checks that a scope opened before a
// Store keeps its decision, and its records follow it, while a scope
// opened after the Store follows the new policy: for jobs
// (ScopeOptions) and for requests (Middleware) held open across the Store.
func TestPolicyStoreKeepsOpenScopes(t *testing.T) {
	for _, tc := range []struct{ before, after float64 }{{0, 1}, {1, 0}} {
		t.Run(fmt.Sprintf("rate %v to %v", tc.before, tc.after), func(t *testing.T) {
			leakcheck.Check(t)
			var buf logtest.Buffer
			s := syncStack(t, &buf, func(c *Config) { c.SamplingPolicy = sampling.Policy{Rate: tc.before}; c.HTTP.AccessLog = false })
			log := s.Logger()

			// A request held open across the Store.
			inRequest, release, served := make(chan struct{}), make(chan struct{}), make(chan string)
			mw := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				log.InfoContext(r.Context(), "request before", "n", 1)
				close(inRequest)
				<-release
				log.InfoContext(r.Context(), "request before", "n", 2)
			}))
			go func() {
				req := httptest.NewRequest(http.MethodGet, "/work", nil)
				req.Header.Set("X-Correlation-ID", "held-request")
				rec := httptest.NewRecorder()
				mw.ServeHTTP(rec, req)
				served <- rec.Header().Get("X-Log-Sampled")
			}()
			<-inRequest
			before, endBefore := scope.Start(context.Background(), s.ScopeOptions("/job"))
			log.InfoContext(before, "job before", "n", 1)

			s.Policy().Store(sampling.Policy{Rate: tc.after})

			log.InfoContext(before, "job before", "n", 2)
			after, endAfter := scope.Start(context.Background(), s.ScopeOptions("/job"))
			log.InfoContext(after, "job after", "n", 1)
			close(release)
			header := <-served
			endBefore(nil)
			endAfter(nil)

			db, _ := scope.DecisionOf(before)
			da, _ := scope.DecisionOf(after)
			if db.Sampled != (tc.before == 1) || da.Sampled != (tc.after == 1) || header != fmt.Sprint(tc.before == 1) {
				t.Errorf("decisions: job before %+v, job after %+v, request before X-Log-Sampled %q", db, da, header)
			}
			var want []string
			if tc.before == 1 {
				want = []string{"request before", "job before", "job before", "request before", "scope completed"}
			} else {
				want = []string{"job after", "scope completed"}
			}
			if diff := cmp.Diff(want, messagesOf(buf.Lines(t))); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPolicyRaiseOnlyAdds checks, through Stack.Middleware over thousands
// of random correlation IDs and random pairs of rates, that each request
// is sampled as sampling.Decide says for the rate in force and that
// raising the rate only adds requests to the sampled set.
func TestPolicyRaiseOnlyAdds(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x-%d", rng.Uint64(), i)
	}
	var buf logtest.Buffer
	s := syncStack(t, &buf, func(c *Config) { c.HTTP.AccessLog = false })
	mw := s.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	sampledAt := func(rate float64) []string {
		s.Policy().Store(sampling.Policy{Rate: rate})
		var got []string
		for _, id := range ids {
			req := httptest.NewRequest(http.MethodGet, "/work", nil)
			req.Header.Set("X-Correlation-ID", id)
			rec := httptest.NewRecorder()
			mw.ServeHTTP(rec, req)
			if rec.Header().Get("X-Log-Sampled") == "true" {
				got = append(got, id)
			}
		}
		return got
	}
	for range 4 {
		r1, r2 := rng.Float64(), rng.Float64()
		if r1 > r2 {
			r1, r2 = r2, r1
		}
		low, high := sampledAt(r1), sampledAt(r2)
		for _, set := range []struct {
			rate float64
			ids  []string
		}{{r1, low}, {r2, high}} {
			want := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !sampling.Decide(id, set.rate) })
			if diff := cmp.Diff(want, set.ids); diff != "" {
				t.Fatalf("rate %v: sampled set differs from sampling.Decide (-want +got):\n%s", set.rate, diff)
			}
		}
		for _, id := range low {
			if !slices.Contains(high, id) {
				t.Fatalf("%s is sampled at rate %v but not at the higher rate %v", id, r1, r2)
			}
		}
		if len(low) == len(high) && r2-r1 > 0.05 {
			t.Errorf("raising the rate from %v to %v added no request of %d", r1, r2, len(ids))
		}
	}
}
