package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// namedBody is a caller's own byte-slice type.
type namedBody []byte

// namedRaw is a caller's own name for raw JSON.
type namedRaw json.RawMessage

// TestBodyRepresentations logs the same body in every representation a
// caller may hold it in and checks how the JSON handler writes it: masked
// the same way, JSON as JSON (key-aware), text as text.
func TestBodyRepresentations(t *testing.T) {
	const jsonBody = `{"user":"bob","password":"hunter2","card":4111111111111111,"token":"tok_live_abc"}`
	const jsonMasked = `{"user":"bob","password":"[REDACTED]","card":"[REDACTED]","token":"[REDACTED]"}`
	const formBody = `user=bob&user%5Bpassword%5D=hunter2&card[cvv]=123`
	const formMasked = `user=bob&user%5Bpassword%5D=[REDACTED]&card[cvv]=[REDACTED]`
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name string
		in   any
		want string // as slog.JSONHandler writes the masked value
	}{
		{"json string", jsonBody, quote(jsonMasked)},
		{"json bytes", []byte(jsonBody), jsonMasked},
		{"json RawMessage", json.RawMessage(jsonBody), jsonMasked},
		{"json named bytes", namedBody(jsonBody), jsonMasked},
		{"json named raw", namedRaw(jsonBody), jsonMasked},
		{"json indented", []byte("{\n  \"password\": \"hunter2\"\n}"), `{"password":"[REDACTED]"}`},
		{"json array", []byte(`[{"secret":{"a":1}},{"ok":true}]`), `[{"secret":"[REDACTED]"},{"ok":true}]`},
		{"json in error", errors.New(jsonBody), quote(jsonMasked)},
		{"form string", formBody, quote(formMasked)},
		{"form bytes", []byte(formBody), quote(formMasked)},
		{"form RawMessage", json.RawMessage(formBody), quote(formMasked)},
		{"form named bytes", namedBody(formBody), quote(formMasked)},
		{"cut short json", []byte(`{"user":"bob","password":"hunt`), quote(`{"user":"bob","password":"[REDACTED]`)},
		{"bare card number", json.RawMessage(`4111111111111111`), `"[REDACTED]"`},
		{"json string in json", json.RawMessage(`{"body":"{\"password\":\"hunter2\"}"}`), `{"body":"{\"password\":\"[REDACTED]\"}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slog.AnyValue(tt.in)
			got, ok := x.RedactValue(v)
			if diff := cmp.Diff(tt.want, encodedAs(t, got)); diff != "" || !ok {
				t.Errorf("changed=%v, written as (-want +got):\n%s", ok, diff)
			}
			if out := encodedAs(t, got); strings.Contains(out, "hunter2") || strings.Contains(out, "4111") {
				t.Errorf("secret in %s", out)
			}
		})
	}
}

// quote returns s as slog.JSONHandler writes a string (no HTML escaping).
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// TestRedactJSONReadsAsAReader checks that JSON strings are read with their
// escapes decoded, and numbers and URLs as their readers read them.
func TestRedactJSONReadsAsAReader(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct{ name, in, want string }{
		{"escaped key", `{"pass\u0077ord":"x"}`, `{"pass\u0077ord":"[REDACTED]"}`},
		{"escaped key and value", `{"api\u005fkey":"k\u0031"}`, `{"api\u005fkey":"[REDACTED]"}`},
		{"escaped bearer", `{"h":"Bearer\u0020` + secretBearer + `"}`, `{"h":"Bearer [REDACTED]"}`},
		{"escaped aws", `["\u0041KIA` + secretAWS[4:] + `"]`, `["[REDACTED]"]`},
		{"newline in value", `{"log":"first line\npassword=hunter2\nlast"}`, `{"log":"first line\npassword=[REDACTED]\nlast"}`},
		{"ampersand escaped", `{"q":"a=1\u0026password=hunter2"}`, `{"q":"a=1&password=[REDACTED]"}`},
		{"card number", `{"card":4111111111111111,"n":4111111111111112}`, `{"card":"[REDACTED]","n":4111111111111112}`},
		{"card number in array", `[1,5500005555555559]`, `[1,"[REDACTED]"]`},
		{"url password with @", `{"url":"postgres://u:p@ss@host/db"}`, `{"url":"postgres://u:[REDACTED]@host/db"}`},
		{"secret under secret", `{"auth":{"password":"x","n":[1,2]}}`, `{"auth":"[REDACTED]"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := x.RedactJSON([]byte(tt.in))
			if diff := cmp.Diff(tt.want, string(got)); diff != "" || !ok {
				t.Errorf("changed=%v (-want +got):\n%s", ok, diff)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON out: %s", got)
			}
		})
	}
}

// TestRedactStringReadsAsAReader covers form keys and URLs.
func TestRedactStringReadsAsAReader(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct{ in, want string }{
		{"user%5Bpassword%5D=hunter2", "user%5Bpassword%5D=[REDACTED]"},
		{"user%5bpassword%5d=hunter2&x=1", "user%5bpassword%5d=[REDACTED]&x=1"},
		{"user[password]=x", "user[password]=[REDACTED]"},
		{"card%5Bcvv%5D=123&n=1", "card%5Bcvv%5D=[REDACTED]&n=1"},
		{"a=1&password=x", "a=1&password=[REDACTED]"},
		{"postgres://u:p@ss@host/db", "postgres://u:[REDACTED]@host/db"},
		{"smtp://bob@example.com:pa55@mail:25 down", "smtp://bob@example.com:[REDACTED]@mail:25 down"},
		{"https://u:a:b@c@h/x?y=1#z", "https://u:[REDACTED]@h/x?y=1#z"},
		{"token: abc123", "token: [REDACTED]"},
		{`token:"abc"`, `token:"[REDACTED]"`},
	}
	for _, tt := range tests {
		if got, _ := x.RedactString(tt.in); got != tt.want {
			t.Errorf("RedactString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{
		"tenant:acme:token:abc123",
		"pin:12345678:sid:abcdef99",
		"https://user@example.com/path",
		"see https://host/a:b@c",
		"urn:auth:pwd:Xy9-Q2.zz",
	} {
		if got, ok := x.RedactString(in); ok {
			t.Errorf("RedactString(%q) = %q, want unchanged", in, got)
		}
	}
}

type loginRequest struct {
	User     string  `json:"user"`
	Password string  `json:"password"`
	Hidden   string  `json:"-"`
	Note     string  `json:"note,omitempty"`
	Card     *int64  `json:"card,omitempty"`
	Nested   *secret `json:"nested,omitempty"`
	internal string
}

type secret struct {
	APIKey string
	Count  int `json:"token_count"`
}

// marshalerToken writes a token with its own MarshalJSON.
type marshalerToken struct{ tok string }

func (m marshalerToken) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"kind": "bearer", "value": "Bearer " + m.tok})
}

// textID is a TextMarshaler used as a map key: JSON writes the key as its
// text.
type textID int

func (id textID) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprint("user_password_", int(id))), nil
}

// cyclic points to itself.
type cyclic struct {
	Name string
	Next *cyclic
}

// panicMarshaler panics in MarshalJSON with a secret in the panic value.
type panicMarshaler struct{}

func (panicMarshaler) MarshalJSON() ([]byte, error) { panic("password=hunter2") }

// nilMarshaler panics on a nil pointer in MarshalJSON.
type nilMarshaler struct{ s string }

func (m *nilMarshaler) MarshalJSON() ([]byte, error) { return json.Marshal(m.s) }

// TestAnyValuesAsEncoded checks values of kind Any: each is masked exactly
// as slog.JSONHandler would write it, and replaced by that form even when
// nothing is masked (changed is then true).
func TestAnyValuesAsEncoded(t *testing.T) {
	card := int64(4111111111111111)
	loop := &cyclic{Name: "password=hunter2"}
	loop.Next = loop
	req := loginRequest{User: "bob", Password: "hunter2", Hidden: "h", Card: &card, Nested: &secret{APIKey: "k", Count: 3}, internal: "i"}
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name string
		in   any
		want string
		ok   bool
	}{
		{"struct", req, `{"user":"bob","password":"[REDACTED]","card":"[REDACTED]","nested":{"APIKey":"[REDACTED]","token_count":3}}`, true},
		{"pointer", &req, `{"user":"bob","password":"[REDACTED]","card":"[REDACTED]","nested":{"APIKey":"[REDACTED]","token_count":3}}`, true},
		{"slice of pointers", []*loginRequest{{User: "a", Password: "p1"}, nil}, `[{"user":"a","password":"[REDACTED]"},null]`, true},
		{"map non-string keys", map[int]*secret{7: {APIKey: "k"}}, `{"7":{"APIKey":"[REDACTED]","token_count":0}}`, true},
		{"text marshaler keys", map[textID]string{1: "x", 2: "y"}, `{"user_password_1":"[REDACTED]","user_password_2":"[REDACTED]"}`, true},
		{"json marshaler", marshalerToken{secretBearer}, `{"kind":"bearer","value":"Bearer [REDACTED]"}`, true},
		{"empty secret field", secret{Count: 1}, `{"APIKey":"[REDACTED]","token_count":1}`, true},
		{"clean struct no secret", struct{ N int }{1}, `{"N":1}`, true},
		{"wrapped errors", fmt.Errorf("login: %w", errors.Join(errors.New("bad"), errors.New("password=hunter2"))), `"login: bad\npassword=[REDACTED]"`, true},
		{"cycle", loop, "", true},
		{"panicking marshaler", panicMarshaler{}, `"!PANIC: password=[REDACTED]"`, true},
		{"nil pointer marshaler", (*nilMarshaler)(nil), `null`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := x.RedactValue(slog.AnyValue(tt.in))
			if ok != tt.ok {
				t.Errorf("changed = %v, want %v", ok, tt.ok)
			}
			out := encodedAs(t, got)
			if tt.want != "" {
				if diff := cmp.Diff(tt.want, out); diff != "" {
					t.Errorf("written as (-want +got):\n%s", diff)
				}
			}
			if strings.Contains(out, "hunter2") || strings.Contains(out, "4111111111111111") {
				t.Errorf("secret in %s", out)
			}
		})
	}
}

// TestMaskedJSONInTextSinks checks that a masked Any value reads as its
// masked JSON in a text handler too.
func TestMaskedJSONInTextSinks(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if len(g) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}), DefaultOptions()))
	l.Info("login", "req", loginRequest{User: "bob", Password: "hunter2"}, "body", json.RawMessage(`{"token":"t"}`))
	want := `level=INFO msg=login req="{\"user\":\"bob\",\"password\":\"[REDACTED]\"}" body="{\"token\":\"[REDACTED]\"}"` + "\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMessageIsABody checks that a message holding JSON is masked as JSON,
// like any other string.
func TestMessageIsABody(t *testing.T) {
	rec := &recordCapture{}
	l := slog.New(NewHandler(rec, DefaultOptions()))
	l.Info(`{"card":4111111111111111,"k":"pass\u0077ord=hunter2"}`)
	if got, want := rec.records[0].Message, `{"card":"[REDACTED]","k":"password=[REDACTED]"}`; got != want {
		t.Errorf("message %s, want %s", got, want)
	}
}

// TestMaskingIsIdempotent masks bodies twice, as a stack does when a body
// masked by the capture hook is logged through Handler: the second pass
// changes nothing.
func TestMaskingIsIdempotent(t *testing.T) {
	for _, repl := range []string{"", "***", "<secret>"} {
		x := NewRedactor(Options{Replacement: repl})
		for _, in := range []string{
			"username=a&password=hunter2&card=4111111111111111",
			"user[password]=x]&token=abc",
			`{"password":"x","n":[1,{"secret":2}]}`,
			"postgres://u:p@ss@host/db token: abc123 Bearer " + secretBearer,
			"Cookie: a=b; session=s\nX-Api-Key: k",
		} {
			once := string(x.RedactBody("", []byte(in)))
			if twice := string(x.RedactBody("", []byte(once))); twice != once {
				t.Errorf("replacement %q: %q masked to %q, then to %q", repl, in, once, twice)
			}
		}
	}
}
