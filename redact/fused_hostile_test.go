package redact

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/handler"
)

// textErr is an error with a text form of its own.
type textErr struct{ s string }

func (e textErr) Error() string                { return e.s }
func (e textErr) MarshalText() ([]byte, error) { return []byte("text:" + e.s), nil }

// hostileValue returns a value of a kind the random cases of fused_test.go
// leave out: LogValuers that panic, return themselves, return other
// LogValuers or groups holding secrets under secret keys and inline
// groups; errors with text forms; byte slices and raw JSON with secrets.
func hostileValue(rng *rand.Rand) slog.Value {
	text := fuzzTexts[rng.IntN(len(fuzzTexts))]
	switch rng.IntN(10) {
	case 0:
		return slog.AnyValue(panicValuer{})
	case 1:
		return slog.AnyValue(selfValuer{})
	case 2:
		return slog.AnyValue(valuer{slog.AnyValue(valuer{slog.StringValue(text)})})
	case 3:
		return slog.AnyValue(valuer{slog.GroupValue(slog.String("password", "hunter2"), slog.String("note", text),
			slog.Any("", slog.GroupValue(slog.String("token", "t-1"))))})
	case 4:
		return slog.AnyValue(textErr{"failed: " + text})
	case 5:
		return slog.AnyValue(json.RawMessage(`{"password":"hunter2","n":1}`))
	case 6:
		return slog.GroupValue(slog.Attr{Key: "", Value: slog.GroupValue(slog.String("password", "hunter2"), slog.String("k", text))})
	case 7:
		return slog.GroupValue(slog.Any("v", valuer{slog.GroupValue()}), slog.String("path", text))
	case 8:
		return slog.AnyValue(nil)
	}
	return slog.AnyValue(&loginReq{User: text, Password: "hunter2"})
}

// hostileSinkOptions are JSON handler options the fused path must honour as
// the handler's Handle does: a ReplaceAttr that drops, renames by group and
// replaces values, and AddSource.
func hostileSinkOptions() *slog.HandlerOptions {
	return &slog.HandlerOptions{
		AddSource: true,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "status":
				// Removed only outside groups: slog.JSONHandler (and so
				// handler.JSONHandler) writes no comma after a group whose
				// attributes ReplaceAttr all removed.
				if len(groups) == 0 {
					return slog.Attr{}
				}
			case "path", "note":
				a.Key = strings.Join(groups, ".") + "/" + a.Key
			case "k":
				a.Value = slog.AnyValue(valuer{slog.StringValue("replaced")})
			case slog.SourceKey:
				a.Value = slog.StringValue("src")
			}
			return a
		},
	}
}

// plantedSecrets are the secrets the random cases log that must never be
// written (the module's own keys, such as correlation_id, are passed on
// unchanged and are left out of the cases' secrets here).
var plantedSecrets = []string{secretBearer, secretJWT, secretCard, "s3cret", "hunter2", secretAWS, "t-1"}

// TestFusedMatchesUnfusedHostile is TestFusedMatchesUnfused with hostile
// values added to records and With chains, over JSON handlers with
// ReplaceAttr and AddSource, and a record with a real PC: the fused path
// writes the bytes and counts the Stats of the unfused one, and no planted
// secret reaches either output.
func TestFusedMatchesUnfusedHostile(t *testing.T) {
	useFakeEncoder(t)
	for seed := range uint64(300) {
		checkFusedMatchesUnfusedHostile(t, seed)
	}
}

// FuzzFusedMatchesUnfusedHostile is TestFusedMatchesUnfusedHostile over
// fuzzed seeds.
func FuzzFusedMatchesUnfusedHostile(f *testing.F) {
	f.Add(uint64(16))
	f.Fuzz(func(t *testing.T, seed uint64) {
		useFakeEncoder(t)
		checkFusedMatchesUnfusedHostile(t, seed)
	})
}

// checkFusedMatchesUnfusedHostile runs the hostile case of seed through
// fused and unfused redaction and compares them.
func checkFusedMatchesUnfusedHostile(t *testing.T, seed uint64) {
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	sinks := []struct {
		name  string
		open  func(w io.Writer) slog.Handler
		fused func(slog.Handler) slog.Handler
	}{
		{"handler.JSONHandler", func(w io.Writer) slog.Handler { return handler.NewJSONHandler(w, hostileSinkOptions()) },
			func(h slog.Handler) slog.Handler { return h }},
		{"fake encoder", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, hostileSinkOptions()) },
			func(h slog.Handler) slog.Handler { return encodingSink{h} }},
	}
	{
		rng := rand.New(rand.NewPCG(seed, 7))
		for _, sink := range sinks {
			var fusedOut, unfusedOut bytes.Buffer
			fused := NewHandler(sink.fused(sink.open(&fusedOut)), DefaultOptions())
			unfused := NewHandler(passThrough{sink.open(&unfusedOut)}, DefaultOptions())
			c := newFusedCase(seed)
			c.record.PC = pcs[0]
			hv := rand.New(rand.NewPCG(seed, 11))
			for range 1 + rng.IntN(3) {
				c.record.AddAttrs(slog.Attr{Key: fuzzKeys[hv.IntN(len(fuzzKeys))], Value: hostileValue(hv)})
			}
			if rng.IntN(4) == 0 {
				// More attributes than a rebuilt record gathers on the stack.
				c.record.AddAttrs(randomAttrs(hv, rebuildInline+hv.IntN(8), 1)...)
			}
			if rng.IntN(2) == 0 {
				with := []slog.Attr{{Key: fuzzKeys[hv.IntN(len(fuzzKeys))], Value: hostileValue(hv)}}
				c.derive = append(c.derive, func(h slog.Handler) slog.Handler { return h.WithAttrs(with) })
			}
			fs, us := c.run(t, fused, false), c.run(t, unfused, false)
			if diff := cmp.Diff(unfusedOut.String(), fusedOut.String()); diff != "" {
				t.Fatalf("%s, seed %d: fused output differs (-unfused +fused):\n%s", sink.name, seed, diff)
			}
			if diff := cmp.Diff(us, fs); diff != "" {
				t.Fatalf("%s, seed %d: fused Stats differ (-unfused +fused):\n%s", sink.name, seed, diff)
			}
			if s, ok := writtenSecret(fusedOut.Bytes()); ok {
				t.Fatalf("%s, seed %d: secret %q written:\n%s", sink.name, seed, s, fusedOut.String())
			}
		}
	}
}

// writtenSecret returns a planted secret found in a key or value of the
// JSON lines, other than a string value of one of the module's own keys
// (passed on unchanged by design). It reads tokens, so that a key written
// twice is read twice.
func writtenSecret(lines []byte) (string, bool) {
	found := func(text string) (string, bool) {
		for _, s := range plantedSecrets {
			if strings.Contains(text, s) {
				return s, true
			}
		}
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(lines))
	// expectKey has one entry per open object (true while its next token
	// is a key) or array (always false).
	var expectKey []bool
	key := ""
	var isObject []bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", false
		}
		if err != nil {
			return "error: " + err.Error(), true
		}
		top := len(isObject) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				isObject = append(isObject, d == '{')
				expectKey = append(expectKey, d == '{')
			default:
				isObject, expectKey = isObject[:top], expectKey[:top]
				if top > 0 && isObject[top-1] {
					expectKey[top-1] = true
				}
			}
			continue
		}
		if top >= 0 && isObject[top] && expectKey[top] {
			key = tok.(string)
			expectKey[top] = false
			if s, ok := found(key); ok {
				return s, true
			}
			continue
		}
		if str, ok := tok.(string); ok && (top < 0 || !isObject[top] || !isOwnKey(key)) {
			if s, ok := found(str); ok {
				return s, true
			}
		}
		if top >= 0 && isObject[top] {
			expectKey[top] = true
		}
	}
}

// TestSecretKeyUnderSecretGroup checks that a key holding a secret inside
// a group masked whole (a group value under a secret key, a group opened
// with a secret name, a LogValuer resolving to such a group) is written
// masked, fused and unfused, with the same bytes and Stats.
func TestSecretKeyUnderSecretGroup(t *testing.T) {
	bearerKey := "Bearer " + secretBearer
	tests := []struct {
		name  string
		group string // WithGroup name, when not empty
		attr  slog.Attr
		want  string
	}{
		{"group value under a secret key", "", slog.Group("auth", slog.String(bearerKey, "v")),
			`"auth":{"Bearer [REDACTED]":"[REDACTED]"}`},
		{"nested under a secret key", "", slog.Group("password", slog.Group("x", slog.Int(bearerKey, 1))),
			`"password":{"x":{"Bearer [REDACTED]":"[REDACTED]"}}`},
		{"group value under a secret WithGroup", "auth", slog.Group("g", slog.String(bearerKey, "v")),
			`"auth":{"g":{"Bearer [REDACTED]":"[REDACTED]"}}`},
		{"LogValuer under a secret key", "", slog.Any("token", valuer{slog.GroupValue(slog.String(bearerKey, "v"))}),
			`"token":{"Bearer [REDACTED]":"[REDACTED]"}`},
	}
	for _, tt := range tests {
		var fusedOut, unfusedOut bytes.Buffer
		noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && groups == nil {
				return slog.Attr{}
			}
			return a
		}}
		fused := NewHandler(handler.NewJSONHandler(&fusedOut, noTime), DefaultOptions())
		unfused := NewHandler(passThrough{handler.NewJSONHandler(&unfusedOut, noTime)}, DefaultOptions())
		for _, h := range []*Handler{fused, unfused} {
			var sh slog.Handler = h
			if tt.group != "" {
				sh = sh.WithGroup(tt.group)
			}
			slog.New(sh).LogAttrs(t.Context(), slog.LevelInfo, "m", tt.attr)
		}
		if !strings.Contains(fusedOut.String(), tt.want) || strings.Contains(fusedOut.String(), secretBearer) {
			t.Errorf("%s: wrote %s, want it to hold %s", tt.name, fusedOut.String(), tt.want)
		}
		if fusedOut.String() != unfusedOut.String() {
			t.Errorf("%s: fused wrote %s, unfused %s", tt.name, fusedOut.String(), unfusedOut.String())
		}
		if diff := cmp.Diff(unfused.Stats(), fused.Stats()); diff != "" {
			t.Errorf("%s: Stats (-unfused +fused):\n%s", tt.name, diff)
		}
		if s := fused.Stats(); s.Patterns.Bearer != 1 {
			t.Errorf("%s: Stats count %d Bearer matches, want 1", tt.name, s.Patterns.Bearer)
		}
	}
}
