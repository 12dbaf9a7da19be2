package slogstack

import (
	"io"
	"slices"
	"testing"

	"github.com/slogstack/slogstack/redact"
)

// TestMiddlewareBodyRedact checks the body hook the stack's middleware uses: the
// stack's redaction, with its own rules, when the stack redacts; none when
// it does not.
func TestMiddlewareBodyRedact(t *testing.T) {
	login := `{"username":"a","password":"hunter2","card":"4111111111111111","nickname":"bob"}`
	for _, tc := range []struct {
		name   string
		redact bool
		opts   redact.Options
		want   string // the hook's output; "" for no hook
	}{
		{"redact on", true, redact.DefaultOptions(), `{"username":"a","password":"[REDACTED]","card":"[REDACTED]","nickname":"bob"}`},
		{"redact on, own rules", true, withKeys(redact.DefaultOptions(), "nickname"),
			`{"username":"a","password":"[REDACTED]","card":"[REDACTED]","nickname":"[REDACTED]"}`},
		{"redact off", false, redact.DefaultOptions(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Redact, cfg.RedactOptions = tc.redact, tc.opts
			s, err := NewStack(io.Discard, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.Shutdown(t.Context()); err != nil {
					t.Error(err)
				}
			}()
			hook := s.httpOptions().Body.Redact
			if tc.want == "" {
				if hook != nil {
					t.Errorf("Body.Redact set with redaction off: %q", hook("application/json", []byte(login)))
				}
				return
			}
			if hook == nil {
				t.Fatal("Body.Redact not set with redaction on")
			}
			if got := string(hook("application/json", []byte(login))); got != tc.want {
				t.Errorf("Body.Redact:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// withKeys returns o with keys added to its key rules.
func withKeys(o redact.Options, keys ...string) redact.Options {
	o.Keys = append(slices.Clone(o.Keys), keys...)
	return o
}
