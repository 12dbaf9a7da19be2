package main

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/scope"
)

// TestDownstreamCall checks /api/v1/work and /api/v1/fail with a next
// instance: the call goes to the same path and query with the request's
// correlation ID; a next instance that fails (5xx, 4xx, no answer) makes
// work answer 502 after an ERROR "downstream call failed".
func TestDownstreamCall(t *testing.T) {
	leakcheck.Check(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // a port nothing listens on
	for _, tc := range []struct {
		name       string
		nextStatus int // 0: no next instance answers
		path       string
		status     int
		msgs       []string
	}{
		{name: "work, next ok", nextStatus: 200, path: "/api/v1/work?n=2", status: 200, msgs: []string{"work step", "work step"}},
		{name: "work, next fails", nextStatus: 500, path: "/api/v1/work?n=1", status: 502, msgs: []string{"work step", "downstream call failed"}},
		{name: "work, next refuses", nextStatus: 404, path: "/api/v1/work?n=1", status: 502, msgs: []string{"work step", "downstream call failed"}},
		{name: "work, next down", path: "/api/v1/work?n=1", status: 502, msgs: []string{"work step", "downstream call failed"}},
		{name: "fail, next fails", nextStatus: 500, path: "/api/v1/fail?n=1", status: 500, msgs: []string{"work step", "downstream call failed", "work failed"}},
		{name: "bad n, no call", nextStatus: 200, path: "/api/v1/work?n=x", status: 400, msgs: []string{"bad step count"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string // what the next instance received
			base := downURL
			if tc.nextStatus != 0 {
				next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					got = append(got, r.URL.RequestURI()+" "+r.Header.Get("X-Correlation-ID"))
					mu.Unlock()
					w.WriteHeader(tc.nextStatus)
				}))
				defer next.Close()
				base = next.URL
			}
			var logs syncBuffer
			a := newTestAPI(t, &logs)
			a.next = newDownstream(base)
			defer a.next.close()
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			// The scope a Stack's middleware opens, so the transport has
			// something to pass on.
			ctx, end := scope.Start(req.Context(), scope.Options{CorrelationID: "down-1"})
			defer end(nil)
			rec := httptest.NewRecorder()
			a.Routes().ServeHTTP(rec, req.WithContext(ctx))
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			if diff := cmp.Diff(tc.msgs, messages(parseLines(t, logs.String()))); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			var want []string
			if tc.nextStatus != 0 && tc.status != 400 {
				want = []string{tc.path + " down-1"}
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("calls the next instance received (-want +got):\n%s", diff)
			}
		})
	}
}
