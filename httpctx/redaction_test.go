package httpctx_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/scope"
)

// Every value the middleware writes (the panic record and the access
// record with its captured bodies) passes a redaction handler below it as
// the values it is: no planted secret reaches the log, whatever the
// representation.

// loginRequest is a decoded request body holding a secret.
type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// plantedSecrets are the secrets the tests plant; none may be written.
var plantedSecrets = []string{"hunter2", "4111111111111111", "4111 1111 1111 1111", "tok_live_abc123"}

// replacement is what the default redaction rules mask a secret with.
var replacement = redact.DefaultOptions().Replacement

// recovering returns DefaultOptions with logger and Recover set.
func recovering(logger *slog.Logger) httpctx.Options {
	opts := httpctx.DefaultOptions()
	opts.Logger = logger
	opts.Recover = true
	return opts
}

// redactedLogger logs through the correlation handler and a redaction
// handler with the default rules into sink.
func redactedLogger(sink *logtest.Buffer) *slog.Logger {
	return slog.New(scope.NewHandler(redact.NewHandler(sink.JSONHandler(slog.LevelDebug), redact.DefaultOptions()), scope.HandlerOptions{}))
}

// serveRecovered serves one request through m and returns what the
// handler's panic became outside the middleware (nil when recovered).
func serveRecovered(h http.Handler, req *http.Request) (rec *httptest.ResponseRecorder, reraised any) {
	rec = httptest.NewRecorder()
	defer func() { reraised = recover() }()
	h.ServeHTTP(rec, req)
	return rec, nil
}

// assertNoSecret fails if any planted secret appears in out.
func assertNoSecret(t *testing.T, out string) {
	t.Helper()
	for _, s := range plantedSecrets {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("secret %q written: ...%s...", s, out[max(0, i-80):min(len(out), i+40)])
		}
	}
}

// TestPanicValueRedacted: the panic record holds the panic value as a
// value, so a redaction handler below masks its secret fields, and a string
// or an error still reads as its text.
func TestPanicValueRedacted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		want  any // the panic attribute as decoded from the JSON line
	}{
		{"struct", loginRequest{"bob", "hunter2"}, map[string]any{"user": "bob", "password": replacement}},
		{"pointer to struct", &loginRequest{"bob", "hunter2"}, map[string]any{"user": "bob", "password": replacement}},
		{"map", map[string]string{"user": "bob", "password": "hunter2"}, map[string]any{"user": "bob", "password": replacement}},
		{"slice of structs", []loginRequest{{"bob", "hunter2"}}, []any{map[string]any{"user": "bob", "password": replacement}}},
		{"string", "db gone", "db gone"},
		{"error", errors.New("db gone"), "db gone"},
		{"wrapped error", fmt.Errorf("query: %w", errors.New("db gone")), "query: db gone"},
		{"int", 42, float64(42)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			h := httpctx.Middleware(recovering(redactedLogger(&sink)))(
				http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(tc.value) }))
			rec, reraised := serveRecovered(h, httptest.NewRequest("GET", "/login", nil))
			if reraised != nil || rec.Code != http.StatusInternalServerError {
				t.Fatalf("response %d, re-raised %v; want a 500 and the panic recovered", rec.Code, reraised)
			}
			assertNoSecret(t, sink.String())
			recs := sink.Lines(t)
			if len(recs) != 2 || recs[0]["msg"] != "panic serving request" {
				t.Fatalf("records %v, want the panic and the access record", recs)
			}
			if diff := cmp.Diff(tc.want, recs[0]["panic"]); diff != "" {
				t.Errorf("panic attribute (-want +got):\n%s", diff)
			}
		})
	}
}

// bodyCase is one body representation: sent as the request body and
// written back as the response body, with the same content type.
type bodyCase struct {
	name        string
	contentType string
	body        string
	maxBytes    int
	wantBody    any  // request_body and response_body as decoded from the JSON line
	wantCut     bool // the body attribute is cut at maxBytes
}

// cutJSONPrefix starts a JSON body that is cut inside its padding.
const cutJSONPrefix = `{"user":"bob","password":"hunter2","token":"tok_live_abc123","pad":"`

var redactedBodyCases = []bodyCase{
	{
		name:        "JSON",
		contentType: "application/json",
		body:        `{"user":"bob","password":"hunter2","card":4111111111111111,"note":"pay with 4111 1111 1111 1111"}`,
		maxBytes:    4096,
		wantBody:    map[string]any{"user": "bob", "password": replacement, "card": replacement, "note": "pay with " + replacement},
	},
	{
		name:        "JSON with escaped key and value",
		contentType: "application/problem+json",
		body:        `{"pass\u0077ord":"hunter2","api_key":"tok_live_abc123","msg":"a\nb"}`,
		maxBytes:    4096,
		wantBody:    map[string]any{"password": replacement, "api_key": replacement, "msg": "a\nb"},
	},
	{
		name:        "form",
		contentType: "application/x-www-form-urlencoded",
		body:        "user=bob&user%5Bpassword%5D=hunter2&token=tok_live_abc123",
		maxBytes:    4096,
		wantBody:    "user=bob&user%5Bpassword%5D=" + replacement + "&token=" + replacement,
	},
	{
		name:        "text",
		contentType: "text/plain; charset=utf-8",
		body:        "login bob password=hunter2 card 4111 1111 1111 1111",
		maxBytes:    4096,
		wantBody:    "login bob password=" + replacement + " card " + replacement,
	},
	{
		name:        "JSON cut at the limit",
		contentType: "application/json",
		body:        cutJSONPrefix + strings.Repeat("x", 100) + `"}`,
		maxBytes:    80,
		// The cut pad is a partial word at the cut, which goes.
		wantBody: `{"user":"bob","password":"` + replacement + `","token":"` + replacement + `","pad":"`,
		wantCut:  true,
	},
}

// TestAccessAndPanicRecordsRedacted: with request and response bodies
// captured in every representation, and a handler that returns or panics
// (before or after its response), the panic record and the access record
// pass a redaction handler below: no planted secret is written, and each
// body is logged masked.
func TestAccessAndPanicRecordsRedacted(t *testing.T) {
	for _, bc := range redactedBodyCases {
		for _, end := range []string{"returns", "panics after the response", "panics before the response"} {
			t.Run(bc.name+"/"+end, func(t *testing.T) {
				var sink logtest.Buffer
				opts := httpctx.DefaultOptions()
				opts.Logger = redactedLogger(&sink)
				opts.Recover = true
				opts.Body = httpctx.BodyOptions{Request: true, Response: true, MaxBytes: bc.maxBytes}
				h := httpctx.Middleware(opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, err := io.ReadAll(r.Body); err != nil {
						t.Errorf("reading the request body: %v", err)
					}
					if end == "panics before the response" {
						panic(loginRequest{"bob", "hunter2"})
					}
					w.Header().Set("Content-Type", bc.contentType)
					_, _ = io.WriteString(w, bc.body)
					if end == "panics after the response" {
						panic(&loginRequest{"bob", "hunter2"})
					}
				}))
				req := httptest.NewRequest("POST", "/login", strings.NewReader(bc.body))
				req.Header.Set("Content-Type", bc.contentType)
				serveRecovered(h, req)
				assertNoSecret(t, sink.String())
				if diff := cmp.Diff(wantRedactedRecords(bc, end), recordsWithBodies(t, &sink)); diff != "" {
					t.Errorf("records (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// recordsWithBodies keeps, of each record, its message, its panic
// attribute and its body attributes.
func recordsWithBodies(t *testing.T, sink *logtest.Buffer) []map[string]any {
	var out []map[string]any
	for _, rec := range sink.Lines(t) {
		keep := map[string]any{}
		for _, k := range []string{"msg", "panic", "request_body", "request_body_truncated", "response_body", "response_body_truncated"} {
			if v, ok := rec[k]; ok {
				keep[k] = v
			}
		}
		out = append(out, keep)
	}
	return out
}

// wantRedactedRecords is what recordsWithBodies returns for bc and the
// handler's end.
func wantRedactedRecords(bc bodyCase, end string) []map[string]any {
	access := map[string]any{"msg": "request completed", "request_body": bc.wantBody}
	if bc.wantCut {
		access["request_body_truncated"] = true
	}
	if end == "panics before the response" {
		// Recover's answer: a text/plain 500.
		access["response_body"] = http.StatusText(http.StatusInternalServerError) + "\n"
	} else {
		access["response_body"] = bc.wantBody
		if bc.wantCut {
			access["response_body_truncated"] = true
		}
	}
	if end == "returns" {
		return []map[string]any{access}
	}
	access["panic"] = true
	panicRecord := map[string]any{"msg": "panic serving request", "panic": map[string]any{"user": "bob", "password": replacement}}
	return []map[string]any{panicRecord, access}
}
