package httpctx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// policy: /always is sampled, /health excluded, everything else not
// sampled (rate 0).
var testPolicy = sampling.Policy{Rate: 0, AlwaysSamplePaths: []string{"/always"}, ExcludedPaths: []string{"/health", "/healthz", "/livez", "/readyz"}}

func TestMiddlewareSampledHeader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string
		handler http.HandlerFunc
		status  int
		sampled string
		stats   Stats
	}{
		{
			name: "not sampled", path: "/x", status: 200, sampled: "false",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") },
			stats:   Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Rate: 1}, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "always sampled path", path: "/always/1", status: 200, sampled: "true",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") },
			stats:   Stats{Requests: 1, Sampled: 1, Reasons: sampling.ReasonCounts{Path: 1}, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "excluded path", path: "/health", status: 200, sampled: "false",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			stats:   Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Excluded: 1}, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "5xx keeps before the header", path: "/x", status: 503, sampled: "true",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			stats:   Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Rate: 1}, Kept: 1, ServerErrorKeeps: 1, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "5xx on a sampled request", path: "/always", status: 500, sampled: "true",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			stats:   Stats{Requests: 1, Sampled: 1, Reasons: sampling.ReasonCounts{Path: 1}, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "4xx does not keep", path: "/x", status: 404, sampled: "false",
			handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			stats:   Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Rate: 1}, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "Keep before the header", path: "/x", status: 200, sampled: "true",
			handler: func(w http.ResponseWriter, r *http.Request) { scope.Keep(r.Context()); _, _ = io.WriteString(w, "ok") },
			stats:   Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Rate: 1}, Kept: 1, IDs: IDCounts{Generated: 1}},
		},
		{
			name: "Keep after the header", path: "/x", status: 200, sampled: "false",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok"); scope.Keep(r.Context()) },
			stats:   Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Rate: 1}, Kept: 1, IDs: IDCounts{Generated: 1}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			m := newMiddleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Policy: testPolicy}))
			rec := httptest.NewRecorder()
			m.Handler(tc.handler).ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("X-Log-Sampled"); got != tc.sampled {
				t.Errorf("X-Log-Sampled = %q, want %q", got, tc.sampled)
			}
			if got := rec.Header().Get("X-Correlation-ID"); !reqscope.ValidID(got) {
				t.Errorf("X-Correlation-ID = %q", got)
			}
			if diff := cmp.Diff(tc.stats, m.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			recs := sink.Lines(t)
			if len(recs) != 1 || recs[0]["status"] != float64(tc.status) {
				t.Errorf("access records %v, want one with status %d", recs, tc.status)
			}
		})
	}
}

func TestAccessRecord(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		target  string
		status  int
		body    string
		level   string
		route   string
		handler http.HandlerFunc
	}{
		{name: "ok", method: "GET", target: "/items/42?secret=x", status: 200, body: "hello", level: "INFO", route: "GET /items/{id}"},
		{name: "created", method: "POST", target: "/items/7", status: 201, body: "", level: "INFO", route: "POST /items/{id}"},
		{name: "not found", method: "GET", target: "/nothing", status: 404, body: "404 page not found\n", level: "WARN", route: ""},
		{name: "server error", method: "GET", target: "/fail", status: 502, body: "bad gateway", level: "ERROR", route: "GET /fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			mux := http.NewServeMux()
			mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") })
			mux.HandleFunc("POST /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
			mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(502)
				_, _ = io.WriteString(w, "bad gateway")
			})
			h := Middleware(withDefaults(Options{Logger: slog.New(scope.NewHandler(sink.JSONHandler(slog.LevelDebug), scope.HandlerOptions{})), Policy: testPolicy}))(mux)
			req := httptest.NewRequest(tc.method, tc.target, nil)
			req.Header.Set("User-Agent", "test-agent/1")
			req.Header.Set("X-Request-ID", "rid-1")
			req.RemoteAddr = "192.0.2.1:1234"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Fatalf("response %d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			recs := sink.Lines(t)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			r := recs[0]
			if d, ok := r["duration"].(float64); !ok || d <= 0 {
				t.Errorf("duration %v, want a positive number", r["duration"])
			}
			delete(r, "duration")
			want := map[string]any{
				"level": tc.level, "msg": defaultAccessMessage,
				"method": tc.method, "path": strings.Split(tc.target, "?")[0], "route": tc.route,
				"status": float64(tc.status), "bytes": float64(len(tc.body)),
				"remote_addr": "192.0.2.1:1234", "user_agent": "test-agent/1",
				"correlation_id": "rid-1",
			}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("access record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAccessRecordOptions: zero Options log no access record; AccessLog
// logs one with AccessMessage as given (empty stays empty); the response
// headers are set either way.
func TestAccessRecordOptions(t *testing.T) {
	defaults := DefaultOptions()
	for _, tc := range []struct {
		name string
		opts Options
		want []string // messages of the records written
	}{
		{name: "zero options", opts: Options{}, want: nil},
		{name: "defaults", opts: defaults, want: []string{"request completed"}},
		{name: "own message", opts: Options{AccessLog: true, AccessMessage: "http"}, want: []string{"http"}},
		{name: "empty message", opts: Options{AccessLog: true}, want: []string{""}},
		{name: "message without AccessLog", opts: Options{AccessMessage: "http"}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			opts := tc.opts
			opts.Logger = slog.New(sink.JSONHandler(slog.LevelDebug))
			h := Middleware(opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Correlation-ID", "a-1")
			h.ServeHTTP(rec, req)
			var got []string
			for _, r := range sink.Lines(t) {
				got = append(got, r["msg"].(string))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("access records (-want +got):\n%s", diff)
			}
			if h := rec.Header().Get("X-Correlation-ID"); h != "a-1" {
				t.Errorf("X-Correlation-ID = %q, want a-1", h)
			}
		})
	}
}

// TestAccessRecordFollowsDecision uses a sink that writes a scope's records
// only while it is sampled: the access record of a request not sampled is
// dropped unless the request was kept, and then it comes after the records
// that kept it.
func TestAccessRecordFollowsDecision(t *testing.T) {
	var sink logtest.Buffer
	logger := slog.New(logtest.ScopeSink{Next: sink.JSONHandler(slog.LevelDebug)})
	mux := http.NewServeMux()
	mux.HandleFunc("/quiet", func(w http.ResponseWriter, r *http.Request) { scope.Logger(r.Context()).Info("work") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("work")
		w.WriteHeader(500)
	})
	mux.HandleFunc("/always", func(w http.ResponseWriter, r *http.Request) { scope.Logger(r.Context()).Info("work") })
	h := Middleware(withDefaults(Options{Logger: logger, Policy: testPolicy}))(mux)
	for _, p := range []string{"/quiet", "/fail", "/always"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	var got []string
	for _, r := range sink.Lines(t) {
		got = append(got, r["msg"].(string)+" "+r["level"].(string))
	}
	// /quiet: nothing. /fail: "work" was logged before the keep and is
	// lost by this sink (sampling.Handler would replay it); the access
	// record follows the keep.
	want := []string{"request completed ERROR", "work INFO", "request completed INFO"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestPanicReraised(t *testing.T) {
	leakcheck.Check(t)
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slog.New(logtest.ScopeSink{Next: sink.JSONHandler(slog.LevelDebug)}), Policy: testPolicy}))
	srv := quietServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panicInHandler()
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/p")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d), want the connection aborted by the re-raised panic", resp.StatusCode)
	}
	srv.Client().CloseIdleConnections()
	recs := sink.Lines(t)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want the panic and the access record: %v", len(recs), recs)
	}
	if recs[0]["msg"] != panicMessage || recs[0]["level"] != "ERROR" || recs[0]["panic"] != "boom" {
		t.Errorf("panic record %v", recs[0])
	}
	if stack, _ := recs[0]["stack"].(string); !strings.Contains(stack, "panicInHandler") {
		t.Errorf("stack does not show the panicking function:\n%s", stack)
	}
	if recs[1]["msg"] != defaultAccessMessage || recs[1]["level"] != "ERROR" || recs[1]["panic"] != true || recs[1]["status"] != float64(500) {
		t.Errorf("access record %v", recs[1])
	}
	want := Stats{Requests: 1, NotSampled: 1, Reasons: sampling.ReasonCounts{Rate: 1}, Kept: 1, Panics: 1, IDs: IDCounts{Generated: 1}}
	if diff := cmp.Diff(want, m.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

//go:noinline
func panicInHandler() { panic("boom") }

func TestPanicRecovered(t *testing.T) {
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slog.New(logtest.ScopeSink{Next: sink.JSONHandler(slog.LevelDebug)}), Policy: testPolicy, Recover: true}))
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partial", "1")
		panic(errors.New("bad state"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/p", nil)) // must not panic
	if rec.Code != 500 || rec.Header().Get("X-Log-Sampled") != "true" {
		t.Errorf("response %d X-Log-Sampled=%q, want 500 and true", rec.Code, rec.Header().Get("X-Log-Sampled"))
	}
	recs := sink.Lines(t)
	if len(recs) != 2 || recs[0]["panic"] != "bad state" || recs[1]["status"] != float64(500) {
		t.Errorf("records %v", recs)
	}
}

// TestPanicRecoveredAfterHeader: a panic after the header was written
// cannot change the status; with Recover it is logged, then re-raised as
// http.ErrAbortHandler so that the response is aborted, not completed.
func TestPanicRecoveredAfterHeader(t *testing.T) {
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Recover: true}))
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		panic("late")
	}))
	rec := httptest.NewRecorder()
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/p", nil))
	}()
	if recovered != http.ErrAbortHandler {
		t.Errorf("recovered %v, want http.ErrAbortHandler", recovered)
	}
	var got []map[string]any
	for _, r := range sink.Lines(t) {
		got = append(got, map[string]any{"msg": r["msg"], "level": r["level"], "panic": r["panic"], "status": r["status"]})
	}
	want := []map[string]any{
		{"msg": panicMessage, "level": "ERROR", "panic": "late", "status": nil},
		{"msg": defaultAccessMessage, "level": "ERROR", "panic": true, "status": float64(200)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if rec.Code != 200 || rec.Body.String() != "partial" {
		t.Errorf("response %d %q, want the 200 and the partial body already written", rec.Code, rec.Body.String())
	}
	if s := m.Stats(); s.Panics != 1 || s.Aborted != 0 {
		t.Errorf("Panics %d, Aborted %d; want 1 and 0", s.Panics, s.Aborted)
	}
}

// TestPanicRecoveredAfterHeaderServer: over a real connection, a handler
// that flushes part of a body and panics leaves the client with a broken
// response with Recover as without the middleware, and net/http logs
// nothing for the abort.
func TestPanicRecoveredAfterHeaderServer(t *testing.T) {
	leakcheck.Check(t)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"items":[1,2,`)
		w.(http.Flusher).Flush()
		panic("db gone")
	})
	for _, tc := range []struct {
		name string
		wrap func(http.Handler) http.Handler
	}{
		{"without the middleware", nil},
		{"with Recover", Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{}), Recover: true}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Handler = handler
			if tc.wrap != nil {
				h = tc.wrap(h)
			}
			srv := quietServer(h)
			resp, err := srv.Client().Get(srv.URL)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			srv.Client().CloseIdleConnections()
			srv.Close()
			if !errors.Is(err, io.ErrUnexpectedEOF) || string(body) != `{"items":[1,2,` {
				t.Errorf("client read %q, %v; want the partial body and io.ErrUnexpectedEOF", body, err)
			}
		})
	}
}

func TestPanicAbortHandler(t *testing.T) {
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Policy: testPolicy, Recover: true}))
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler re-raised", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p", nil))
	}()
	recs := sink.Lines(t)
	if len(recs) != 1 || recs[0]["msg"] != defaultAccessMessage {
		t.Errorf("records %v, want only the access record", recs)
	}
	if s := m.Stats(); s.Panics != 0 || s.Aborted != 1 || s.Kept != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestScopeEndsWithRequest(t *testing.T) {
	var ctx context.Context
	h := Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
		if scopeOf(ctx).Ended() {
			t.Error("scope ended while the handler runs")
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !scopeOf(ctx).Ended() {
		t.Error("scope not ended after the request")
	}
}

// TestInvalidStatusCode: net/http panics on an invalid code; the panic is
// handled like any other and the code is not recorded as the status.
func TestInvalidStatusCode(t *testing.T) {
	var sink logtest.Buffer
	h := Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Recover: true}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(1000)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	recs := sink.Lines(t)
	if rec.Code != 500 || len(recs) != 2 || recs[0]["msg"] != panicMessage || recs[1]["status"] != float64(500) {
		t.Errorf("code %d, records %v", rec.Code, recs)
	}
}

func TestNestedMiddleware(t *testing.T) {
	var sink logtest.Buffer
	logger := slog.New(scope.NewHandler(sink.JSONHandler(slog.LevelDebug), scope.HandlerOptions{}))
	inner := newMiddleware(withDefaults(Options{Logger: logger}))
	outer := newMiddleware(withDefaults(Options{Logger: logger}))
	var seen string
	h := outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = scope.CorrelationID(r.Context())
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if seen == "" || rec.Header().Get("X-Correlation-ID") != seen {
		t.Errorf("handler saw %q, header %q", seen, rec.Header().Get("X-Correlation-ID"))
	}
	if n := len(textLines(&sink)); n != 1 {
		t.Errorf("%d access records, want 1", n)
	}
	if o, i := outer.Stats(), inner.Stats(); o.Requests != 1 || i.Requests != 0 || i.Nested != 1 {
		t.Errorf("outer %+v inner %+v", o, i)
	}
}

// TestOptionsPolicyZeroAndDefault: the zero Options' policy samples no
// request and excludes no path; DefaultOptions' excludes the health probes
// and samples at 10%.
func TestOptionsPolicyZeroAndDefault(t *testing.T) {
	paths := []string{"/health", "/healthz", "/livez", "/readyz", "/orders"}
	for _, tc := range []struct {
		name    string
		opts    Options
		sampled []string // X-Log-Sampled per path
		reasons sampling.ReasonCounts
	}{
		{name: "zero", opts: Options{}, sampled: []string{"false", "false", "false", "false", "false"}, reasons: sampling.ReasonCounts{Rate: 5}},
		{name: "default", opts: DefaultOptions(), sampled: []string{"false", "false", "false", "false", fmt.Sprint(sampling.Decide("id-1", 0.1))}, reasons: sampling.ReasonCounts{Excluded: 4, Rate: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Logger = slog.New(logtest.Nop{})
			m := newMiddleware(opts)
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			var got []string
			for _, p := range paths {
				req := httptest.NewRequest("GET", p, nil)
				req.Header.Set("X-Correlation-ID", "id-1")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				got = append(got, rec.Header().Get("X-Log-Sampled"))
			}
			if diff := cmp.Diff(tc.sampled, got); diff != "" {
				t.Errorf("X-Log-Sampled per path (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.reasons, m.Stats().Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}
