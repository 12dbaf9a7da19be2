package redact

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// lockedHolder holds a mutex that is locked while it is logged.
type lockedHolder struct {
	Mu       sync.Mutex
	Password string
	ch       chan int
}

// TestHostileValues logs values a careless or hostile caller may pass: each
// call returns (no hang, no panic), the secret is masked, and a masked value
// shares nothing with the caller's.
func TestHostileValues(t *testing.T) {
	leakcheck.Check(t)
	held := &lockedHolder{Password: "hunter2", ch: make(chan int)}
	held.Mu.Lock()
	defer held.Mu.Unlock()
	big := strings.Repeat("x", 1<<20) + " password=hunter2"
	shared := map[string]any{"password": "hunter2"}
	tests := []struct {
		name string
		v    any
		want string // a part of the written line
	}{
		{"locked mutex", held, `"v":{"Mu":{},"Password":"[REDACTED]"}`},
		{"1 MiB string", big, `password=[REDACTED]"`},
		{"1 MiB bytes", []byte(big), `password=[REDACTED]"`},
		{"shared map twice", []any{shared, shared}, `"v":[{"password":"[REDACTED]"},{"password":"[REDACTED]"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), DefaultOptions())).Info("m", "v", tt.v)
			if !strings.Contains(buf.String(), tt.want) || strings.Contains(buf.String(), "hunter2") {
				t.Errorf("want %s and no secret in %.200s...", tt.want, buf.String())
			}
		})
	}
}

// TestMaskedValueIsNotTheCallers checks that a masked Any value kept by the
// next handler does not change when the caller mutates what it logged.
func TestMaskedValueIsNotTheCallers(t *testing.T) {
	rec := &recordCapture{}
	l := slog.New(NewHandler(rec, DefaultOptions()))
	m := map[string]any{"password": "hunter2", "items": []int{1, 2}}
	body := []byte(`{"token":"t","n":1}`)
	l.Info("m", "m", m, "body", body)
	m["items"] = []int{3}
	m["note"] = "added"
	copy(body, `{"xxxxx":"y","n":2}`)
	want := []string{`m={"items":[1,2],"password":"[REDACTED]"}`, `body={"token":"[REDACTED]","n":1}`}
	if diff := cmp.Diff(want, attrsOf(rec.records[0])); diff != "" {
		t.Errorf("kept values (-want +got):\n%s", diff)
	}
}
