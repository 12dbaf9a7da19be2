package slogstack

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// The secrets of the login bodies: none may appear anywhere in the output.
var loginSecrets = []string{"hunter2", "4111111111111111", "tok_live_8f3a9c"}

// TestStackRedactsBodies serves login requests through the stack's
// middleware with body logging turned on, and nothing else configured:
// the request body (JSON and form-encoded), the response body and a
// json.RawMessage the handler logs are redacted whenever the stack
// redacts, with the request sampled, or not sampled and rescued by an
// error, and with a hook of the user's own set in the HTTP options.
func TestStackRedactsBodies(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rate        float64 // 0: not sampled, rescued by the handler's error
		contentType string
		body        string
		userHook    bool
		wantBody    any // request_body as decoded from the access record
	}{
		{"json sampled", 1, "application/json", `{"username":"a","password":"hunter2","card":"4111111111111111"}`, false,
			map[string]any{"username": "a", "password": "[REDACTED]", "card": "[REDACTED]"}},
		{"json rescued", 0, "application/json", `{"username":"a","password":"hunter2","card":"4111111111111111"}`, false,
			map[string]any{"username": "a", "password": "[REDACTED]", "card": "[REDACTED]"}},
		{"json escaped key", 1, "application/json", `{"username":"a","pass\u0077ord":"hunter2","card":4111111111111111}`, false,
			nil},
		{"form sampled", 1, "application/x-www-form-urlencoded", `username=a&password=hunter2&card=4111111111111111`, false,
			"username=a&password=[REDACTED]&card=[REDACTED]"},
		{"form rescued", 0, "application/x-www-form-urlencoded", `username=a&password=hunter2&card=4111111111111111`, false,
			"username=a&password=[REDACTED]&card=[REDACTED]"},
		{"json with a user hook", 1, "application/json", `{"username":"a","password":"hunter2","card":"4111111111111111"}`, true,
			map[string]any{"username": "anonymous", "password": "[REDACTED]", "card": "[REDACTED]"}},
		{"form with a user hook", 0, "application/x-www-form-urlencoded", `username=a&password=hunter2&card=4111111111111111`, true,
			"username=anonymous&password=[REDACTED]&card=[REDACTED]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			var out logtest.Buffer
			cfg := DefaultConfig()
			cfg.SamplingPolicy = sampling.Policy{Rate: tc.rate}
			cfg.HTTP.Body.Request, cfg.HTTP.Body.Response = true, true
			if tc.userHook {
				rename := strings.NewReplacer(`"username":"a"`, `"username":"anonymous"`, "username=a&", "username=anonymous&")
				cfg.HTTP.Body.Redact = func(_ string, b []byte) []byte { return []byte(rename.Replace(string(b))) }
			}
			s, err := NewStack(&out, cfg)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				l := scope.Logger(r.Context())
				l.Info("login attempt", "payload", json.RawMessage(`{"password":"hunter2","token":"tok_live_8f3a9c"}`), "raw", body)
				if tc.rate == 0 {
					l.Error("login failed")
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"token":"tok_live_8f3a9c","card":"4111111111111111"}`)
			})))
			resp, err := http.Post(srv.URL+"/login", tc.contentType, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			srv.Close()
			if err := s.Shutdown(t.Context()); err != nil {
				t.Fatal(err)
			}

			text := out.String()
			if leaks := findSecrets(t, text, loginSecrets); len(leaks) > 0 {
				t.Errorf("secrets written: %q\n%s", leaks, text)
			}
			var access map[string]any
			for _, line := range logtest.DecodeLines(t, text) {
				if line["msg"] == accessMessage {
					access = line
				}
			}
			if access == nil {
				t.Fatalf("no access record in:\n%s", text)
			}
			if tc.wantBody != nil {
				if diff := cmp.Diff(tc.wantBody, access["request_body"]); diff != "" {
					t.Errorf("request_body (-want +got):\n%s", diff)
				}
			} else if access["request_body"] == nil {
				t.Errorf("no request_body in the access record: %v", access)
			}
			wantResp := map[string]any{"token": "[REDACTED]", "card": "[REDACTED]"}
			if diff := cmp.Diff(wantResp, access["response_body"]); diff != "" {
				t.Errorf("response_body (-want +got):\n%s", diff)
			}
		})
	}
}

// findSecrets returns the secrets found in the JSON lines of text: in the
// text itself, in any string value decoded (escapes undone), and in any
// string value that is base64 (how a []byte is written).
func findSecrets(t testing.TB, text string, secrets []string) []string {
	t.Helper()
	var found []string
	seen := map[string]bool{}
	note := func(s string) {
		for _, secret := range secrets {
			if strings.Contains(s, secret) && !seen[secret] {
				seen[secret] = true
				found = append(found, secret)
			}
		}
	}
	note(text)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			note(v)
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				note(string(b))
			}
		case map[string]any:
			for k, e := range v {
				note(k)
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, line := range logtest.DecodeLines(t, text) {
		walk(line)
	}
	return found
}
