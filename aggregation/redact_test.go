package aggregation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/redact"
)

// loginRequest is a decoded request body, the commonest way a secret
// reaches a log.
type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// lockedCredentials holds unexported state: a summary holds it encoded.
type lockedCredentials struct {
	mu     sync.Mutex
	User   string
	APIKey string `json:"api_key"`
}

// TestSummariesPassRedaction checks that summaries are ordinary records to
// the handler after aggregation: with redact.Handler below it, a secret in
// a folded record's attributes, in any representation a summary holds
// (strings, deep-copied structs and maps, raw JSON and bytes, encoded
// values, errors, values cut to MaxValueBytes, groups, attributes bound
// with With), never appears in the summary line, in JSON and in text.
func TestSummariesPassRedaction(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	bigMap := map[string]any{"a_password": secret} // sorted first, inside the cut
	for i := range 200 {
		bigMap[fmt.Sprintf("field_%03d", i)] = strings.Repeat("x", 10)
	}
	locked := &lockedCredentials{User: "ann", APIKey: secret}
	locked.mu.Lock()
	tests := []struct {
		name  string
		attrs []any
	}{
		{"string under a secret key", []any{"password", secret}},
		{"bearer token in a string", []any{"header", "Bearer " + secret + "abcdefghijklmnop"}},
		{"struct with a secret field", []any{"req", loginRequest{User: "ann", Password: secret}}},
		{"pointer to a struct", []any{"req", &loginRequest{User: "ann", Password: secret}}},
		{"map", []any{"form", map[string]string{"user": "ann", "password": secret}}},
		{"raw JSON", []any{"body", json.RawMessage(`{"user":"ann","token":"` + secret + `"}`)}},
		{"bytes of JSON", []any{"body", []byte(`{"user":"ann","password":"` + secret + `"}`)}},
		{"string of JSON", []any{"body", `{"user":"ann","password":"` + secret + `"}`}},
		{"value with a held lock", []any{"creds", locked}},
		{"group", []any{slog.Group("db", "user", "ann", "password", secret)}},
		{"value past MaxValueBytes", []any{"form", bigMap}},
		{"error", []any{"err", errors.New("login failed: password=" + secret)}},
	}
	sinks := []struct {
		name string
		new  func(*logtest.Buffer) slog.Handler
	}{
		{"json", func(b *logtest.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		}},
		{"text", func(b *logtest.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		}},
	}
	for _, sink := range sinks {
		for _, tt := range tests {
			t.Run(sink.name+"/"+tt.name, func(t *testing.T) {
				leakcheck.Check(t)
				var out logtest.Buffer
				agg := aggregation.NewHandler(redact.NewHandler(sink.new(&out), redact.DefaultOptions()), aggregation.DefaultOptions())
				log := slog.New(agg).With("session", secret)
				for range aggregation.DefaultOptions().Burst + 3 {
					log.Debug("Connection pool size", tt.attrs...)
				}
				if err := agg.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				if st := agg.Stats(); st.FoldedWritten != 3 {
					t.Fatalf("want one summary of 3 records, got %+v\n%s", st, out.String())
				}
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				summary := lines[len(lines)-1]
				if !strings.Contains(summary, "_count") {
					t.Fatalf("last line is not a summary: %s", summary)
				}
				if strings.Contains(summary, secret) {
					t.Errorf("secret in the summary: %s", summary)
				}
				if strings.Contains(out.String(), secret) {
					t.Errorf("secret in the output:\n%s", out.String())
				}
			})
		}
	}
}
