package slogstack

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// controlResponse is what the control endpoint answered.
type controlResponse struct {
	Status      int
	ContentType string
	Allow       string
	Body        string
}

// control sends one request to h.
func control(h http.Handler, method, body string) controlResponse {
	req := httptest.NewRequest(method, "/logging", strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return controlResponse{rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Allow"), rec.Body.String()}
}

// syncStack builds a stack without async over buf.
func syncStack(t *testing.T, buf *logtest.Buffer, edit func(*Config)) *Stack {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Async = false
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewStack(buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

const defaultControlJSON = `{"level":"INFO","sampling":{"rate":0.1,"always_sample_paths":[],"excluded_paths":["/health","/healthz","/livez","/readyz"],"follow_trace":false}}` + "\n"

func jsonOK(body string) controlResponse {
	return controlResponse{Status: 200, ContentType: "application/json", Body: body}
}

// TestControlHandlerGet checks the settings GET shows for each kind of
// configuration.
func TestControlHandlerGet(t *testing.T) {
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelInfo + 2)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"default", nil, defaultControlJSON},
		{"sampling off", func(c *Config) { c.Sampling = false; c.Level = slog.LevelDebug },
			`{"level":"DEBUG","sampling":null}` + "\n"},
		{"level var", func(c *Config) { c.Level = lv }, strings.Replace(defaultControlJSON, `"INFO"`, `"INFO+2"`, 1)},
		{"policy", func(c *Config) {
			c.SamplingPolicy = sampling.Policy{Rate: 1, AlwaysSamplePaths: []string{"/pay"}, FollowTrace: true}
		}, `{"level":"INFO","sampling":{"rate":1,"always_sample_paths":["/pay"],"excluded_paths":[],"follow_trace":true}}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf logtest.Buffer
			s := syncStack(t, &buf, tc.edit)
			h := s.ControlHandler()
			if diff := cmp.Diff(jsonOK(tc.want), control(h, http.MethodGet, "")); diff != "" {
				t.Errorf("GET (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(jsonOK(""), control(h, http.MethodHead, "")); diff != "" {
				t.Errorf("HEAD (-want +got):\n%s", diff)
			}
		})
	}
}

// TestControlHandlerRefuses checks that every bad request gets its status
// and error line and changes nothing.
func TestControlHandlerRefuses(t *testing.T) {
	big := `{"sampling":{"excluded_paths":["` + strings.Repeat("a", 64<<10) + `"]}}`
	tests := []struct {
		name, method, body string
		samplingOff        bool
		want               controlResponse
	}{
		{"empty", "PUT", "", false, plainError(400, "body: not a JSON object")},
		{"array", "PUT", "[]", false, plainError(400, "body: not a JSON object")},
		{"null", "PUT", "null", false, plainError(400, "body: not a JSON object")},
		{"string", "PUT", `"x"`, false, plainError(400, "body: not a JSON object")},
		{"broken", "PUT", `{"level":`, false, plainError(400, "body: not a JSON object")},
		{"trailing object", "PUT", `{"level":"DEBUG"}{}`, false, plainError(400, "body: data after the JSON object")},
		{"trailing garbage", "PUT", `{"level":"DEBUG"} x`, false, plainError(400, "body: data after the JSON object")},
		{"unknown field", "PUT", `{"level":"DEBUG","lvl":"x"}`, false,
			plainError(400, `"lvl": unknown field; the fields are level, sampling`)},
		{"unknown sampling field", "PUT", `{"level":"DEBUG","sampling":{"rate":0.5,"Rate":1}}`, false,
			plainError(400, `sampling."Rate": unknown field; the fields are rate, always_sample_paths, excluded_paths, follow_trace`)},
		{"bad level", "PUT", `{"level":"LOUD"}`, false,
			plainError(400, `level: "LOUD" is not a level; want DEBUG, INFO, WARN or ERROR, optionally +N or -N`)},
		{"numeric level", "PUT", `{"level":4}`, false,
			plainError(400, `level: not a string; want a level such as "DEBUG", "info" or "WARN+2"`)},
		{"null level", "PUT", `{"level":null}`, false,
			plainError(400, `level: not a string; want a level such as "DEBUG", "info" or "WARN+2"`)},
		{"rate above 1", "PUT", `{"level":"DEBUG","sampling":{"rate":1.5}}`, false,
			plainError(400, "sampling.rate: 1.5 is outside [0, 1]; want a fraction, 0.1 for 10%")},
		{"negative rate", "PUT", `{"sampling":{"rate":-0.1}}`, false,
			plainError(400, "sampling.rate: -0.1 is outside [0, 1]; want a fraction, 0.1 for 10%")},
		{"rate as string", "PUT", `{"sampling":{"rate":"0.5"}}`, false,
			plainError(400, "sampling.rate: not a number; want a fraction in [0, 1], 0.1 for 10%")},
		{"rate overflows", "PUT", `{"sampling":{"rate":1e400}}`, false,
			plainError(400, "sampling.rate: not a number; want a fraction in [0, 1], 0.1 for 10%")},
		{"null rate", "PUT", `{"sampling":{"rate":null}}`, false,
			plainError(400, "sampling.rate: not a number; want a fraction in [0, 1], 0.1 for 10%")},
		{"null sampling", "PUT", `{"level":"DEBUG","sampling":null}`, false, plainError(400, "sampling: not a JSON object")},
		{"sampling list", "PUT", `{"sampling":[]}`, false, plainError(400, "sampling: not a JSON object")},
		{"null paths", "PUT", `{"sampling":{"excluded_paths":null}}`, false,
			plainError(400, "sampling.excluded_paths: not a list of strings; use [] for none")},
		{"number in paths", "PUT", `{"sampling":{"always_sample_paths":["/a",1]}}`, false,
			plainError(400, "sampling.always_sample_paths: not a list of strings; use [] for none")},
		{"null in paths", "PUT", `{"sampling":{"always_sample_paths":["/a",null]}}`, false,
			plainError(400, "sampling.always_sample_paths[1]: null; want a string")},
		{"follow_trace string", "PUT", `{"sampling":{"follow_trace":"yes"}}`, false,
			plainError(400, "sampling.follow_trace: not true or false")},
		{"valid level, bad rate", "PUT", `{"level":"DEBUG","sampling":{"rate":2}}`, false,
			plainError(400, "sampling.rate: 2 is outside [0, 1]; want a fraction, 0.1 for 10%")},
		{"sampling while off", "PUT", `{"level":"DEBUG","sampling":{"rate":0.5}}`, true,
			plainError(400, "sampling: the stack does not sample (Config.Sampling is off)")},
		{"duplicate level", "PUT", `{"level":"DEBUG","level":"ERROR"}`, false,
			plainError(400, `"level": duplicate field`)},
		{"duplicate level escaped", "PUT", `{"level":"DEBUG","\u006cevel":"ERROR"}`, false,
			plainError(400, `"level": duplicate field`)},
		{"duplicate sampling hides a bad one", "PUT", `{"sampling":{"rate":5},"sampling":{"rate":0.5}}`, false,
			plainError(400, `"sampling": duplicate field`)},
		{"duplicate rate", "PUT", `{"sampling":{"rate":0.5,"rate":0.2}}`, false,
			plainError(400, `sampling."rate": duplicate field`)},
		{"level offset wraps up", "PUT", `{"level":"ERROR+` + strconv.Itoa(math.MaxInt) + `"}`, false,
			plainError(400, `level: "ERROR+`+strconv.Itoa(math.MaxInt)+`" is out of range; the offset overflows`)},
		{"level offset wraps down", "PUT", `{"level":"debug-` + strconv.Itoa(math.MaxInt) + `"}`, false,
			plainError(400, `level: "debug-`+strconv.Itoa(math.MaxInt)+`" is out of range; the offset overflows`)},
		{"too big", "PUT", big, false, plainError(413, "body: over 65536 bytes")},
		{"POST", "POST", `{"level":"DEBUG"}`, false, withAllow(plainError(405, "method POST not allowed; use GET, HEAD or PUT"))},
		{"DELETE", "DELETE", "", false, withAllow(plainError(405, "method DELETE not allowed; use GET, HEAD or PUT"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf logtest.Buffer
			s := syncStack(t, &buf, func(c *Config) { c.Sampling = !tc.samplingOff })
			h := s.ControlHandler()
			before := control(h, http.MethodGet, "")
			policy := s.Policy().Load()
			if diff := cmp.Diff(tc.want, control(h, tc.method, tc.body)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.method, diff)
			}
			if diff := cmp.Diff(before, control(h, http.MethodGet, "")); diff != "" {
				t.Errorf("a refused request changed the settings (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(policy, s.Policy().Load()); diff != "" || s.Level().Level() != slog.LevelInfo {
				t.Errorf("a refused request changed the stack: level %v, policy (-before +after):\n%s", s.Level().Level(), diff)
			}
			if lines := buf.Lines(t); len(lines) != 0 {
				t.Errorf("a refused request logged %v", lines)
			}
		})
	}
}

func plainError(status int, line string) controlResponse {
	return controlResponse{Status: status, ContentType: "text/plain; charset=utf-8", Body: line + "\n"}
}

func withAllow(r controlResponse) controlResponse { r.Allow = "GET, HEAD, PUT"; return r }

// TestControlHandlerPutMerges checks that a PUT replaces the fields it
// names, keeps the others, answers the new settings and puts them in force.
func TestControlHandlerPutMerges(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	s := syncStack(t, &buf, nil)
	h := s.ControlHandler()
	steps := []struct {
		body, want string
		level      slog.Level
		policy     sampling.Policy
	}{
		{`{}`, defaultControlJSON, slog.LevelInfo, sampling.DefaultPolicy()},
		{`{"level":"debug"}`, strings.Replace(defaultControlJSON, `"INFO"`, `"DEBUG"`, 1),
			slog.LevelDebug, sampling.DefaultPolicy()},
		{`{"sampling":{"rate":0.5}}`,
			`{"level":"DEBUG","sampling":{"rate":0.5,"always_sample_paths":[],"excluded_paths":["/health","/healthz","/livez","/readyz"],"follow_trace":false}}` + "\n",
			slog.LevelDebug, sampling.Policy{Rate: 0.5, ExcludedPaths: []string{"/health", "/healthz", "/livez", "/readyz"}}},
		{` {"sampling":{"excluded_paths":[],"always_sample_paths":["/pay","/refund"],"follow_trace":true},"level":"Warn+1"} `,
			`{"level":"WARN+1","sampling":{"rate":0.5,"always_sample_paths":["/pay","/refund"],"excluded_paths":[],"follow_trace":true}}` + "\n",
			slog.LevelWarn + 1, sampling.Policy{Rate: 0.5, AlwaysSamplePaths: []string{"/pay", "/refund"}, FollowTrace: true}},
		{`{"sampling":{"rate":0}}`,
			`{"level":"WARN+1","sampling":{"rate":0,"always_sample_paths":["/pay","/refund"],"excluded_paths":[],"follow_trace":true}}` + "\n",
			slog.LevelWarn + 1, sampling.Policy{Rate: 0, AlwaysSamplePaths: []string{"/pay", "/refund"}, FollowTrace: true}},
	}
	for i, st := range steps {
		if diff := cmp.Diff(jsonOK(st.want), control(h, http.MethodPut, st.body)); diff != "" {
			t.Fatalf("step %d: PUT %s (-want +got):\n%s", i, st.body, diff)
		}
		if diff := cmp.Diff(jsonOK(st.want), control(h, http.MethodGet, "")); diff != "" {
			t.Errorf("step %d: GET after PUT (-want +got):\n%s", i, diff)
		}
		if got := s.Level().Level(); got != st.level {
			t.Errorf("step %d: Level = %v, want %v", i, got, st.level)
		}
		if diff := cmp.Diff(st.policy, s.Policy().Load()); diff != "" {
			t.Errorf("step %d: Policy (-want +got):\n%s", i, diff)
		}
	}
}

// TestControlHandlerRoundTrip checks that PUTting what GET shows is
// accepted and changes nothing, with sampling on and off.
func TestControlHandlerRoundTrip(t *testing.T) {
	for _, samplingOn := range []bool{true, false} {
		var buf logtest.Buffer
		s := syncStack(t, &buf, func(c *Config) { c.Sampling = samplingOn })
		h := s.ControlHandler()
		got := control(h, http.MethodGet, "")
		if diff := cmp.Diff(got, control(h, http.MethodPut, got.Body)); diff != "" {
			t.Errorf("sampling %v: PUT of GET's body (-GET +PUT):\n%s", samplingOn, diff)
		}
		if lines := buf.Lines(t); len(lines) != 0 {
			t.Errorf("sampling %v: a PUT that changes nothing logged %v", samplingOn, lines)
		}
	}
}
