package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
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

// TestDownstreamLoopEnds points an instance's -downstream at itself (the
// same holds for a longer cycle of instances): each call carries the
// chain's depth, and the instance that would call beyond maxChainDepth
// refuses with 508 Loop Detected instead, so one client request makes
// exactly maxChainDepth+1 requests, each answered (502 back up the
// chain), rather than calls without end that each hold a connection.
// A request that arrives with a depth it cannot parse, or at the limit,
// is refused the same way without a call.
func TestDownstreamLoopEnds(t *testing.T) {
	leakcheck.Check(t)
	var logs syncBuffer
	a := newTestAPI(t, &logs)
	var handled atomic.Int64
	const runaway = 200 // the test's own stop, far above the limit
	srv := httptest.NewServer(scopedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handled.Add(1) > runaway {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		a.Routes().ServeHTTP(w, r)
	})))
	defer srv.Close()
	a.next = newDownstream(srv.URL) // itself
	defer a.next.close()

	for _, tc := range []struct {
		name, path, depth string
		status            int
		handled           int64
	}{
		{name: "work loops", path: "/api/v1/work?n=1", status: http.StatusBadGateway, handled: maxChainDepth + 1},
		{name: "fail loops", path: "/api/v1/fail?n=1", status: http.StatusInternalServerError, handled: maxChainDepth + 1},
		{name: "arrives at the limit", path: "/api/v1/work?n=1", depth: strconv.Itoa(maxChainDepth), status: http.StatusLoopDetected, handled: 1},
		{name: "arrives beyond it", path: "/api/v1/work?n=1", depth: "99999999999999999999", status: http.StatusLoopDetected, handled: 1},
		{name: "depth not a number", path: "/api/v1/work?n=1", depth: "-1", status: http.StatusLoopDetected, handled: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			handled.Store(0)
			req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Correlation-ID", "loop-1")
			if tc.depth != "" {
				req.Header.Set(chainDepthHeader, tc.depth)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := handled.Load(); got != tc.handled {
				t.Errorf("%d requests handled, want %d", got, tc.handled)
			}
		})
	}
	srv.Client().CloseIdleConnections()
}

// scopedHandler opens the scope a Stack's middleware would, with the
// request's correlation ID, so the transport passes it on.
func scopedHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, end := scope.Start(r.Context(), scope.Options{CorrelationID: r.Header.Get("X-Correlation-ID")})
		defer end(nil)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
