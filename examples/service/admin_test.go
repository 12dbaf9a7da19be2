package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestCheckAdminAddr checks which admin addresses the service takes: none,
// loopback ones, and others only with -admin-public.
func TestCheckAdminAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		err    string
	}{
		{addr: ""},
		{addr: "127.0.0.1:9090"},
		{addr: "127.5.6.7:0"},
		{addr: "[::1]:9090"},
		{addr: "localhost:9090"},
		{addr: "0.0.0.0:9090", err: "is not a loopback address"},
		{addr: ":9090", err: "is not a loopback address"},
		{addr: "[::]:9090", err: "is not a loopback address"},
		{addr: "10.1.2.3:9090", err: "add -admin-public"},
		{addr: "admin.example.com:9090", err: "add -admin-public"},
		{addr: "0.0.0.0:9090", public: true},
		{addr: ":9090", public: true},
		{addr: "127.0.0.1", err: "missing port"},
		{addr: "127.0.0.1", public: true, err: "missing port"},
	} {
		err := checkAdminAddr(tc.addr, tc.public)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("checkAdminAddr(%q, %v) = %v, want an error with %q", tc.addr, tc.public, err, tc.err)
		}
	}
}

// TestCheckDownstream checks the -downstream URLs the service takes.
func TestCheckDownstream(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"http://127.0.0.1:8081", true},
		{"https://payments.internal/", true},
		{"http://127.0.0.1:8081/prefix", true},
		{"127.0.0.1:8081", false},
		{"ftp://127.0.0.1", false},
		{"http://", false},
		{"http://h/?x=1", false},
		{"http://h/#f", false},
		{"http://[::1", false},
	} {
		if err := checkDownstream(tc.url); (err == nil) != tc.ok {
			t.Errorf("checkDownstream(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}

// TestAdminEndpoints serves the service's admin routes over the stack the
// service builds and checks each endpoint, and that a refused PUT changes
// nothing while a good one changes what the stack does. The admin routes
// are outside the logging middleware: calling them logs nothing but the
// audit record of a change.
func TestAdminEndpoints(t *testing.T) {
	leakcheck.Check(t)
	unsetLogEnv(t)
	var out syncBuffer
	logs, err := newLoggingWith(&out, baseConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer logs.shutdown(context.Background())
	m, err := newMetrics(logs.stack)
	if err != nil {
		t.Fatal(err)
	}
	defer m.shutdown(context.Background())
	mux := adminRoutes(logs.stack, m.handler)
	serve := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	const initial = `{"level":"DEBUG","sampling":{"rate":0.1,"always_sample_paths":["/api/v1/payments"],"excluded_paths":["/health","/healthz","/livez","/readyz"],"follow_trace":false}}`
	for _, tc := range []struct {
		method, path, body string
		status             int
		has                string
	}{
		{"GET", "/logging", "", 200, initial},
		{"PUT", "/logging", `{"level":"loud"}`, 400, "level"},
		{"PUT", "/logging", `{"sampling":{"rate":2}}`, 400, "rate"},
		{"PUT", "/logging", `{"level":"warn","sampling":{"rate":-1}}`, 400, "rate"},
		{"PUT", "/logging", `{"levle":"warn"}`, 400, "levle"},
		{"PUT", "/logging", `not json`, 400, ""},
		{"GET", "/logging", "", 200, initial},
		{"DELETE", "/logging", "", 405, ""},
		{"PUT", "/logging", `{"level":"warn"}`, 200, `"level":"WARN"`},
		{"GET", "/logging", "", 200, `"level":"WARN","sampling":{"rate":0.1,`},
		{"GET", "/metrics", "", 200, "slogstack_records_total"},
		{"GET", "/debug/vars", "", 200, `"slogstack": {"Records":`},
		{"POST", "/metrics", "", 405, ""},
	} {
		status, body := serve(tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(body, tc.has) {
			t.Errorf("%s %s %s: %d %q, want %d with %q", tc.method, tc.path, tc.body, status, body, tc.status, tc.has)
		}
	}
	if got := logs.stack.Level().Level(); got != slog.LevelWarn {
		t.Errorf("level after the PUT: %v, want WARN", got)
	}
	// One record: the audit record of the one change.
	if err := logs.stack.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := parseLines(t, out.String())
	if diff := cmp.Diff([]string{"logging settings changed"}, messages(lines)); diff != "" {
		t.Errorf("records of the admin calls (-want +got):\n%s", diff)
	}
	if st := logs.stack.Stats(); st.HTTP != nil {
		t.Errorf("the admin routes went through the logging middleware: %+v", st.HTTP)
	}
}

// TestAdminRefusesForeignHosts checks that the admin endpoints, unless
// public, answer only requests addressed to loopback: a browser led to
// 127.0.0.1 by a name that resolves there (DNS rebinding) sends that name
// as Host, and must not reach /logging.
func TestAdminRefusesForeignHosts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := loopbackHostsOnly(ok)
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:9090", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		{"127.1.2.3:9090", http.StatusOK},
		{"[::1]:9090", http.StatusOK},
		{"[::1]", http.StatusOK},
		{"localhost:9090", http.StatusOK},
		{"localhost", http.StatusOK},
		{"attacker.example:9090", http.StatusMisdirectedRequest},
		{"attacker.example", http.StatusMisdirectedRequest},
		{"localhost.attacker.example:9090", http.StatusMisdirectedRequest},
		{"10.0.0.1:9090", http.StatusMisdirectedRequest},
		{"", http.StatusMisdirectedRequest},
	} {
		req := httptest.NewRequest(http.MethodPut, "/logging", strings.NewReader(`{"level":"debug"}`))
		req.Host = tc.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Host %q: status %d, want %d", tc.host, rec.Code, tc.want)
		}
	}
}
