package redact

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/internal/logtest"
)

// TestOptionsZeroMeansZero checks that every field of Options means what
// its value says: the zero Options has no key rules, every value pattern, an
// empty replacement and no key cache; nil and empty slices mean the same; a
// negative cache size is no cache.
func TestOptionsZeroMeansZero(t *testing.T) {
	const zeroOut = `{"level":"INFO","msg":"key  password=hunter2","password":"hunter2","note":"card "}`
	tests := []struct {
		name   string
		opts   Options
		want   string
		cached bool
	}{
		{"zero", Options{}, zeroOut, false},
		{"empty slices as nil", Options{Keys: []string{}, SafeKeys: []string{}, DisablePatterns: []string{}, Patterns: []CustomPattern{}}, zeroOut, false},
		{"negative cache size as zero", Options{KeyCacheSize: -1}, zeroOut, false},
		{"defaults", DefaultOptions(),
			`{"level":"INFO","msg":"key [REDACTED] password=[REDACTED]","password":"[REDACTED]","note":"card [REDACTED]"}`, true},
		{"defaults, empty replacement", defaultsWith(func(o *Options) { o.Replacement = "" }),
			`{"level":"INFO","msg":"key  password=","password":"","note":"card "}`, true},
		{"defaults, no key cache", defaultsWith(func(o *Options) { o.KeyCacheSize = 0 }),
			`{"level":"INFO","msg":"key [REDACTED] password=[REDACTED]","password":"[REDACTED]","note":"card [REDACTED]"}`, false},
		{"defaults, nil keys", defaultsWith(func(o *Options) { o.Keys = nil }),
			`{"level":"INFO","msg":"key [REDACTED] password=hunter2","password":"hunter2","note":"card [REDACTED]"}`, true},
		{"defaults, card and aws off", defaultsWith(func(o *Options) { o.DisablePatterns = []string{"card", "aws_access_key"} }),
			`{"level":"INFO","msg":"key ` + secretAWS + ` password=[REDACTED]","password":"[REDACTED]","note":"card ` + secretCard + `"}`, true},
		{"only key rules given", Options{Keys: []string{"password"}, Replacement: "*"},
			`{"level":"INFO","msg":"key * password=*","password":"*","note":"card *"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), tt.opts)
			slog.New(h).Info("key "+secretAWS+" password=hunter2", "password", "hunter2", "note", "card "+secretCard)
			if diff := cmp.Diff(tt.want+"\n", buf.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if got := h.Redactor().cache != nil; got != tt.cached {
				t.Errorf("key cache present: %v, want %v", got, tt.cached)
			}
		})
	}
}

// TestDefaultOptionsIsFresh checks that DefaultOptions returns new slices,
// and that a Redactor reads its options once.
func TestDefaultOptionsIsFresh(t *testing.T) {
	a := DefaultOptions()
	x := NewRedactor(a)
	a.Keys[0] = "nickname"
	if got := DefaultOptions().Keys[0]; got != "password" {
		t.Errorf("DefaultOptions().Keys[0] = %q after a caller changed its copy", got)
	}
	if x.IsSecretKey("nickname") || !x.IsSecretKey("password") {
		t.Error("a Redactor must not see later changes to the options it was made with")
	}
	if diff := cmp.Diff(defaultKeys, DefaultOptions().Keys); diff != "" {
		t.Errorf("DefaultOptions().Keys (-want +got):\n%s", diff)
	}
}

// TestDisablePatternsNames checks that every pattern name is accepted and
// that an unknown one panics, in NewRedactor and NewHandler, with a message
// listing the valid names.
func TestDisablePatternsNames(t *testing.T) {
	valid := "bearer, basic, jwt, card, aws_access_key, gcp_api_key, github_token, slack_token, stripe_key, private_key, url_password, key_value, custom"
	all := strings.Split(valid, ", ")
	x := NewRedactor(Options{DisablePatterns: all, Keys: []string{"password"}})
	if got, ok := x.RedactString("password=hunter2 " + secretAWS + " " + secretJWT); ok {
		t.Errorf("every pattern disabled, still masked: %q", got)
	}
	constructors := map[string]func(Options){
		"NewRedactor": func(o Options) { NewRedactor(o) },
		"NewHandler":  func(o Options) { NewHandler(slog.DiscardHandler, o) },
	}
	for _, name := range []string{"Card", "cards", "", "pattern(13)", " jwt"} {
		for cname, construct := range constructors {
			t.Run(cname+"/"+name, func(t *testing.T) {
				want := fmt.Sprintf("redact: Options.DisablePatterns: unknown pattern %q (valid: %s)", name, valid)
				defer func() {
					if got := recover(); got != want {
						t.Errorf("panic %v, want %q", got, want)
					}
				}()
				construct(defaultsWith(func(o *Options) { o.DisablePatterns = []string{"card", name} }))
				t.Error("no panic")
			})
		}
		t.Run("Validate/"+name, func(t *testing.T) {
			want := fmt.Sprintf("redact: Options.DisablePatterns: unknown pattern %q (valid: %s)", name, valid)
			err := defaultsWith(func(o *Options) { o.DisablePatterns = []string{"card", name} }).Validate()
			if err == nil || err.Error() != want {
				t.Errorf("Validate() = %v, want %q", err, want)
			}
		})
	}
	if err := (Options{DisablePatterns: all}).Validate(); err != nil {
		t.Errorf("Validate with every valid name: %v", err)
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("DefaultOptions().Validate(): %v", err)
	}
}

// TestEmptyReplacement checks that an empty Replacement masks every form
// (key=value, a command-line flag, an XML element, JSON, a whole value) with
// nothing, and that masking the result again changes nothing.
func TestEmptyReplacement(t *testing.T) {
	x := NewRedactor(defaultsWith(func(o *Options) { o.Replacement = "" }))
	tests := []struct{ in, want string }{
		{"a=1&password=hunter2&b=2", "a=1&password=&b=2"},
		{"run --password hunter2 --v", "run --password  --v"},
		{"<user>bob</user><password>hunter2</password>", "<user>bob</user><password></password>"},
		{"<<password>hunter2</password>", "<<password></password>"},
		{`{"password":"hunter2","n":4111111111111111}`, `{"password":"","n":}`}, // as text
		{"token: abc123xyz and Bearer " + secretBearer, "token:  and Bearer "},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _ := x.RedactString(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			again, _ := x.RedactString(got)
			if again != got {
				t.Errorf("masking again changed %q to %q", got, again)
			}
		})
	}
	js, _ := x.RedactJSON([]byte(`{"password":"hunter2","n":4111111111111111}`))
	if diff := cmp.Diff(`{"password":"","n":""}`, string(js)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	v, _ := x.RedactAttr(slog.String("password", "hunter2"))
	if diff := cmp.Diff("", v.Value.String()); diff != "" {
		t.Errorf("whole value (-want +got):\n%s", diff)
	}
}
