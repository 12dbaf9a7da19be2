package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stringerBytes is a byte-slice type with a method that changes nothing in
// how slog's handlers write it.
type stringerBytes []byte

func (stringerBytes) String() string { return "stringerBytes" }

// textBytes is a byte-slice type that slog.TextHandler and encoding/json
// write by its MarshalText.
type textBytes []byte

func (b textBytes) MarshalText() ([]byte, error) { return b, nil }

// jsonBytes is a byte-slice type that encoding/json writes by its
// MarshalJSON.
type jsonBytes []byte

func (b jsonBytes) MarshalJSON() ([]byte, error) { return json.Marshal(string(b)) }

const (
	bytesSecret = `{"password":"hunter2"}`
	bytesMasked = `{"password":"[REDACTED]"}`
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestBytesAreBodiesWherever logs a body held as bytes in every place
// encoding/json writes it as base64 (a struct field, a map value, a slice
// element, a byte-slice type with methods) and checks that it is masked as
// the body it is, and written as base64 of the masked body.
func TestBytesAreBodiesWherever(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name string
		in   any
		want string // as slog.JSONHandler writes the masked value
	}{
		{"struct field", struct{ Body []byte }{[]byte(bytesSecret)}, `{"Body":"` + b64(bytesMasked) + `"}`},
		{"map value", map[string][]byte{"body": []byte(bytesSecret)}, `{"body":"` + b64(bytesMasked) + `"}`},
		{"slice element", [][]byte{[]byte("a=1 password=hunter2")}, `["` + b64("a=1 password=[REDACTED]") + `"]`},
		{"named bytes in struct", struct{ B namedBody }{namedBody("Authorization: Bearer " + secretBearer)}, `{"B":"` + b64("Authorization: Bearer [REDACTED]") + `"}`},
		{"nested twice", struct{ Outer []byte }{[]byte(`{"inner":"` + b64(bytesSecret) + `"}`)}, `{"Outer":"` + b64(`{"inner":"`+b64(bytesMasked)+`"}`) + `"}`},
		{"named bytes with a method", stringerBytes(bytesSecret), bytesMasked},
		{"named bytes with a method, text", stringerBytes("token=hunter2"), `"token=[REDACTED]"`},
		{"text marshaler bytes", textBytes(bytesSecret), `"{\"password\":\"[REDACTED]\"}"`},
		{"json marshaler bytes", jsonBytes(bytesSecret), `"{\"password\":\"[REDACTED]\"}"`},
		{"base64 in a json body", json.RawMessage(`{"data":"` + b64("password=hunter2") + `"}`), `{"data":"` + b64("password=[REDACTED]") + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := x.RedactValue(slog.AnyValue(tt.in))
			out := encodedAs(t, got)
			if diff := cmp.Diff(tt.want, out); diff != "" || !ok {
				t.Errorf("changed=%v, written as (-want +got):\n%s", ok, diff)
			}
			if again, changed := x.RedactValue(got); changed && encodedAs(t, again) != out {
				t.Errorf("second pass changed %s to %s", out, encodedAs(t, again))
			}
		})
	}
}

// TestBytesWithMethodsInEverySink logs byte-slice types holding a secret
// through the handler into JSON and text sinks: neither the secret nor its
// base64 encoding is written, and a String method is never what a sink
// writes.
func TestBytesWithMethodsInEverySink(t *testing.T) {
	values := []any{
		stringerBytes(bytesSecret),
		struct{ Body []byte }{[]byte(bytesSecret)},
		map[string][]byte{"body": []byte(bytesSecret)},
		textBytes(bytesSecret),
		jsonBytes(bytesSecret),
	}
	sinks := map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	}
	for name, sink := range sinks {
		for _, v := range values {
			var buf bytes.Buffer
			slog.New(NewHandler(sink(&buf), DefaultOptions())).Info("m", "v", v)
			for _, bad := range []string{"hunter2", b64(bytesSecret), "stringerBytes"} {
				if strings.Contains(buf.String(), bad) {
					t.Errorf("%s sink, %T: %q written: %s", name, v, bad, buf.String())
				}
			}
		}
	}
}

// TestCleanBytesWithMethodsWrittenAsBytes checks that a clean byte-slice
// type with methods is replaced by a copy of its bytes, which every sink
// writes as slog writes the original: base64 in JSON, the text in text.
func TestCleanBytesWithMethodsWrittenAsBytes(t *testing.T) {
	in := stringerBytes("hello world")
	got, ok := NewRedactor(DefaultOptions()).RedactValue(slog.AnyValue(in))
	if !ok {
		t.Fatal("a byte-slice type with methods was passed on as the caller's")
	}
	if diff := cmp.Diff(`"`+b64("hello world")+`"`, encodedAs(t, got)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	in[0] = 'J' // the caller reuses its buffer
	if diff := cmp.Diff([]byte("hello world"), got.Any()); diff != "" {
		t.Errorf("value (-want +got):\n%s", diff)
	}
}

// TestBase64NearMisses checks JSON strings that are not the base64 of a
// masked body: each is left as it is.
func TestBase64NearMisses(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	for _, s := range []string{
		b64("hello, world"),             // text without a secret
		b64("\x00\x01password=hunter2"), // binary, not text
		b64("pwd=x")[:4],                // too short to be read
		"cGFzc3dvcmQ9aHVudGVyMg",        // password=hunter2 without padding
		"cGFzc3dvcmQ9aHVudGVyMg=a",      // padding inside
		"cGFzc3dvcmQ9aHVudGVyMg_=",      // URL alphabet
		strings.Repeat("A", 16),         // decodes to zero bytes
		"dXNlcj1ib2I=dXNlcj1ib2I=",      // padding in the middle
		b64("password") + "=",           // not a multiple of 4
		"passwordpassword",              // a word that is valid base64
	} {
		doc := []byte(`{"v":"` + s + `"}`)
		if out, ok := x.RedactJSON(doc); ok {
			t.Errorf("%q masked to %s", s, out)
		}
	}
}

// FuzzBytesBody plants a secret in fuzzed text (made valid UTF-8, control
// characters dropped) held as bytes in a struct
// field, which encoding/json writes as base64: the written value, decoded,
// never holds the secret, and a second pass changes nothing. Any string
// in a JSON document is masked without a panic.
func FuzzBytesBody(f *testing.F) {
	f.Add("", "", uint8(0), "")
	f.Add("a=1&", "&b=2", uint8(7), b64("password=x"))
	f.Add(`{"k":"`, `"}`, uint8(18), "AAAAAAAA")
	x := NewRedactor(DefaultOptions())
	f.Fuzz(func(t *testing.T, prefix, suffix string, which uint8, s string) {
		if out, ok := x.RedactJSON([]byte(quote(s))); ok && !json.Valid(out) {
			t.Fatalf("%q masked to invalid JSON %s", s, out)
		}
		p := plants[int(which)%len(plants)]
		prefix, suffix = asText(prefix), asText(suffix)
		body := prefix + "\n" + p.text + "\n" + suffix
		got, _ := x.RedactValue(slog.AnyValue(struct{ Body []byte }{[]byte(body)}))
		var written struct{ Body []byte }
		if err := json.Unmarshal([]byte(encodedAs(t, got)), &written); err != nil {
			t.Fatalf("written value is not a base64 body: %v", err)
		}
		if strings.Contains(string(written.Body), p.secret) {
			t.Fatalf("secret %q survived in %q", p.secret, written.Body)
		}
		if again, changed := x.RedactValue(got); changed && encodedAs(t, again) != encodedAs(t, got) {
			t.Fatalf("second pass changed %s", encodedAs(t, got))
		}
	})
}

// TestRandomBase64NeverAltered checks that the base64 encoding of random
// bytes (nonces, hashes, encrypted blobs) is never masked for what it
// decodes to.
func TestRandomBase64NeverAltered(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	rng := rand.New(rand.NewPCG(3, 4))
	altered := 0
	for range 5000 {
		b := make([]byte, 4+rng.IntN(256))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		var tl tally
		if out, ok := x.base64Body(base64.StdEncoding.EncodeToString(b), &tl, 0); ok {
			altered++
			if altered <= 5 {
				t.Errorf("%q altered to %s", b, out)
			}
		}
	}
	if altered > 0 {
		t.Errorf("%d of 5000 random base64 values altered, want 0", altered)
	}
}

// asText returns s as valid UTF-8 without control characters other than
// tab, line feed and carriage return.
func asText(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
