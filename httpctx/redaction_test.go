package httpctx_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/redact"
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

// redactedLogger logs through the correlation handler and a redaction
// handler with the default rules into sink.
func redactedLogger(sink *logtest.Buffer) *slog.Logger {
	return slog.New(httpctx.NewHandler(redact.NewHandler(sink.JSONHandler(slog.LevelDebug), redact.Options{}), httpctx.HandlerOptions{}))
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
		{"struct", loginRequest{"bob", "hunter2"}, map[string]any{"user": "bob", "password": redact.DefaultReplacement}},
		{"pointer to struct", &loginRequest{"bob", "hunter2"}, map[string]any{"user": "bob", "password": redact.DefaultReplacement}},
		{"map", map[string]string{"user": "bob", "password": "hunter2"}, map[string]any{"user": "bob", "password": redact.DefaultReplacement}},
		{"slice of structs", []loginRequest{{"bob", "hunter2"}}, []any{map[string]any{"user": "bob", "password": redact.DefaultReplacement}}},
		{"string", "db gone", "db gone"},
		{"error", errors.New("db gone"), "db gone"},
		{"wrapped error", fmt.Errorf("query: %w", errors.New("db gone")), "query: db gone"},
		{"int", 42, float64(42)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			h := httpctx.Middleware(httpctx.Options{Logger: redactedLogger(&sink), Recover: true})(
				http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(tc.value) }))
			rec, reraised := serveRecovered(h, httptest.NewRequest("GET", "/login", nil))
			if reraised != nil || rec.Code != http.StatusInternalServerError {
				t.Fatalf("response %d, re-raised %v; want a 500 and the panic recovered", rec.Code, reraised)
			}
			assertNoSecret(t, sink.String())
			recs := sink.Lines(t)
			if len(recs) != 2 || recs[0]["msg"] != httpctx.PanicMessage {
				t.Fatalf("records %v, want the panic and the access record", recs)
			}
			if diff := cmp.Diff(tc.want, recs[0]["panic"]); diff != "" {
				t.Errorf("panic attribute (-want +got):\n%s", diff)
			}
		})
	}
}
