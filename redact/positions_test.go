package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
)

// plantedPassword is the secret every position below carries.
const plantedPassword = "Pl4nted-S3cret"

// selfValuer is a LogValuer that returns itself.
type selfValuer struct{}

func (v selfValuer) LogValue() slog.Value { return slog.AnyValue(v) }

// panicValuer is a LogValuer that panics with a secret.
type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("password=" + plantedPassword) }

// groupValuer resolves to a group holding a struct with the secret.
type groupValuer struct{}

func (groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("req", loginRequest{User: "u", Password: plantedPassword}))
}

// positions are ways a caller may pass the planted secret to a logger: each
// returns the logger to use and the arguments of the call.
var positions = []struct {
	name string
	log  func(l *slog.Logger) (*slog.Logger, string, []any)
}{
	{"message", func(l *slog.Logger) (*slog.Logger, string, []any) { return l, "login password=" + plantedPassword, nil }},
	{"attr", func(l *slog.Logger) (*slog.Logger, string, []any) { return l, "m", []any{"password", plantedPassword} }},
	{"component key", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"db_password_old", plantedPassword}
	}},
	{"with", func(l *slog.Logger) (*slog.Logger, string, []any) { return l.With("token", plantedPassword), "m", nil }},
	{"with group", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l.WithGroup("req").With("x", 1), "m", []any{"api_key", plantedPassword}
	}},
	{"group", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{slog.Group("a", slog.Group("b", slog.String("secret", plantedPassword)))}
	}},
	{"logvaluer", func(l *slog.Logger) (*slog.Logger, string, []any) { return l, "m", []any{"v", groupValuer{}} }},
	{"panicking logvaluer", func(l *slog.Logger) (*slog.Logger, string, []any) { return l, "m", []any{"v", panicValuer{}} }},
	{"self logvaluer", func(l *slog.Logger) (*slog.Logger, string, []any) { return l, "m", []any{"v", selfValuer{}} }},
	{"struct", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"req", loginRequest{User: "u", Password: plantedPassword}}
	}},
	{"slice of pointers", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"reqs", []*loginRequest{{Password: plantedPassword}}}
	}},
	{"map with int keys", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"m", map[int]any{1: map[string]string{"pwd": plantedPassword}}}
	}},
	{"error chain", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"err", fmt.Errorf("a: %w", errors.Join(errors.New("b"), fmt.Errorf("dsn password=%s", plantedPassword)))}
	}},
	{"bytes", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"body", []byte(`{"password":"` + plantedPassword + `"}`)}
	}},
	{"raw message", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"body", json.RawMessage(`{"user":{"pass\u0077ord":"` + plantedPassword + `"}}`)}
	}},
	{"named bytes", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"body", namedBody(`user%5Bpassword%5D=` + plantedPassword)}
	}},
	{"json string", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"body", `{"n":1,"secret":{"v":"` + plantedPassword + `"}}`}
	}},
	{"url", func(l *slog.Logger) (*slog.Logger, string, []any) {
		return l, "m", []any{"dial", "postgres://u:" + plantedPassword + "@x@host/db"}
	}},
}

// TestEveryPositionRedacted logs random combinations of the positions
// through Handler into a JSON and a text handler: the planted secret never
// reaches either.
func TestEveryPositionRedacted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sink := range []string{"json", "text"} {
		for round := range 200 {
			var buf bytes.Buffer
			var next slog.Handler = slog.NewJSONHandler(&buf, nil)
			if sink == "text" {
				next = slog.NewTextHandler(&buf, nil)
			}
			l := slog.New(NewHandler(next, DefaultOptions()))
			var names []string
			var args []any
			msg := "m"
			for range 1 + rng.IntN(4) {
				p := positions[rng.IntN(len(positions))]
				names = append(names, p.name)
				var a []any
				var m string
				l, m, a = p.log(l)
				if m != "m" {
					msg = m
				}
				args = append(args, a...)
			}
			l.Info(msg, args...)
			if strings.Contains(buf.String(), plantedPassword) {
				t.Fatalf("%s sink, round %d, positions %v: secret in\n%s", sink, round, names, buf.String())
			}
		}
	}
	// Each position alone, so that none is only ever tested in company.
	for _, p := range positions {
		var buf bytes.Buffer
		l, msg, args := p.log(slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), DefaultOptions())))
		l.Info(msg, args...)
		if strings.Contains(buf.String(), plantedPassword) || buf.Len() == 0 {
			t.Errorf("%s: secret in (or nothing written)\n%s", p.name, buf.String())
		}
	}
}
