package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
)

// plants are secrets planted into random text: the text to plant and the
// part of it that must not survive.
var plants = []struct{ text, secret string }{
	{"Authorization: Bearer " + secretBearer, secretBearer},
	{"bearer " + secretBearer, secretBearer},
	{"Basic " + secretBasic, secretBasic},
	{secretJWT, secretJWT},
	{secretCard, secretCard},
	{secretCardRaw, secretCardRaw},
	{secretAmex, secretAmex},
	{secretAWS, secretAWS},
	{secretAWSTemp, secretAWSTemp},
	{secretGCP, secretGCP},
	{secretGitHub, secretGitHub},
	{secretGHPAT, secretGHPAT},
	{secretSlack, secretSlack},
	{secretStripe, secretStripe},
	{secretWhsec, secretWhsec},
	{secretPEM, "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"},
	{"postgres://app:Pa55w0rdXYZ@db:5432/x", "Pa55w0rdXYZ"},
	{"password=Pa55w0rdXYZ", "Pa55w0rdXYZ"},
	{`"client_secret": "Pa55 w0rd XYZ"`, "Pa55 w0rd XYZ"},
	{"--password Pa55w0rdXYZ", "Pa55w0rdXYZ"},
	{"--api-key=Pa55w0rdXYZ", "Pa55w0rdXYZ"},
	{"<password>Pa55w0rdXYZ</password>", "Pa55w0rdXYZ"},
	{`{"pass\u0077ord":"Pa55w0rdXYZ"`, "Pa55w0rdXYZ"},
	{`{"n":4111111111111111e0`, "4111111111111111"},
}

func FuzzRedactString(f *testing.F) {
	f.Add("", "", uint8(0))
	f.Add("user logged in", "at 12:30", uint8(3))
	f.Add("token=", "=x", uint8(16))
	f.Add("4111 ", " 1111", uint8(4))
	f.Add("-----BEGIN", "-----END", uint8(15))
	f.Add(`{"a":"`, `"}`, uint8(18))
	x := NewRedactor(DefaultOptions())
	empty := NewRedactor(defaultsWith(func(o *Options) { o.Replacement = "" }))
	f.Fuzz(func(t *testing.T, prefix, suffix string, which uint8) {
		// Any input: no panic, and an unchanged result is the input.
		for _, s := range []string{prefix, suffix, prefix + suffix} {
			if out, ok := x.RedactString(s); !ok && out != s {
				t.Fatalf("unchanged result differs: %q -> %q", s, out)
			}
		}
		// A planted secret, on its own line, is always masked.
		p := plants[int(which)%len(plants)]
		in := prefix + "\n" + p.text + "\n" + suffix
		out, ok := x.RedactString(in)
		if !ok || strings.Contains(out, p.secret) {
			t.Fatalf("secret %q survived in %q", p.secret, out)
		}
		// Masking is idempotent: a text masked before it is logged (a
		// captured body) comes out of a second pass as it went in.
		if again, _ := x.RedactString(out); again != out {
			t.Fatalf("second pass changed %q to %q", out, again)
		}
		// An empty replacement masks the planted secret too, and
		// terminates on any text (no second-pass property: taking text
		// out may join its neighbours into something else).
		if out, ok := empty.RedactString(in); !ok || strings.Contains(out, p.secret) {
			t.Fatalf("empty replacement: secret %q survived in %q", p.secret, out)
		}
		if out, ok := empty.RedactString(prefix + suffix); !ok && out != prefix+suffix {
			t.Fatalf("empty replacement: unchanged result differs: %q -> %q", prefix+suffix, out)
		}
	})
}

func FuzzKeys(f *testing.F) {
	for _, k := range []string{"password", "X-Api-Key", "tokens_used", "APIKey", "a.b.c", "", "日本_token"} {
		f.Add(k, "value")
	}
	cached := NewRedactor(defaultsWith(func(o *Options) { o.KeyCacheSize = 8 }))
	uncached := NewRedactor(defaultsWith(func(o *Options) { o.KeyCacheSize = 0 }))
	f.Fuzz(func(t *testing.T, key, value string) {
		got := cached.IsSecretKey(key)
		if again := cached.IsSecretKey(key); again != got {
			t.Fatalf("verdict of %q changed: %v then %v", key, got, again)
		}
		if u := uncached.IsSecretKey(key); u != got {
			t.Fatalf("cached %v, uncached %v for %q", got, u, key)
		}
		// Separators do not matter.
		if alt := strings.NewReplacer("_", "-", ".", " ").Replace(key); cached.IsSecretKey(alt) != got {
			t.Fatalf("%q and %q judged differently", key, alt)
		}
		// A rule anywhere in any key matches, unless a counter word follows
		// it (password_count); "x" is not one.
		for _, rule := range []string{"password", "access_token", "card_number"} {
			if !cached.IsSecretKey(key+"_"+rule) || !cached.IsSecretKey(rule+"_x_"+key) || !cached.IsSecretKey(key+"."+rule+".x") {
				t.Fatalf("rule %q not matched next to %q", rule, key)
			}
			if cached.IsSecretKey(rule+"_count") != cached.IsSecretKey("count") {
				t.Fatalf("%q_count judged a secret", rule)
			}
		}
		// A secret key masks its value whatever it is.
		a, _ := cached.RedactAttr(slog.String(key, value))
		if got && a.Value.String() != defaultReplacement {
			t.Fatalf("secret key %q: value %q", key, a.Value)
		}
	})
}

func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"password":"x"}`, `[1,"a",{"token":[1,{"a":2}]}]`, `{"a":"\u0041\"b"}`, `{"x`, `"Bearer abcdefgh1"`} {
		f.Add([]byte(s), "v")
	}
	x := NewRedactor(DefaultOptions())
	f.Fuzz(func(t *testing.T, data []byte, value string) {
		out, ok := x.RedactJSON(data)
		if !ok && string(out) != string(data) {
			t.Fatalf("unchanged result differs")
		}
		if json.Valid(data) && !json.Valid(out) {
			t.Fatalf("valid %q became invalid %q", data, out)
		}
		// A secret member is always masked, whatever its value.
		vj, _ := json.Marshal(value)
		doc := []byte(`{"ok":1,"api_key":` + string(vj) + `,"nested":{"a":` + string(data) + `}}`)
		if !json.Valid(doc) {
			doc = []byte(`{"ok":1,"api_key":` + string(vj) + `}`)
		}
		masked, _ := x.RedactJSON(doc)
		// Numbers are kept as written: a valid document may hold numbers
		// (1E700) that no float64 holds.
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(masked))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("masked %q: %v", masked, err)
		}
		if m["api_key"] != defaultReplacement {
			t.Fatalf("api_key = %v in %s", m["api_key"], masked)
		}
	})
}

func FuzzHandler(f *testing.F) {
	f.Add("m", "password", "hunter2", "group", uint8(0))
	f.Add("token=x", "X-Api-Key", "", "auth", uint8(5))
	f.Add("", "", "eyJ", "", uint8(9))
	f.Fuzz(func(t *testing.T, msg, key, value, group string, which uint8) {
		var buf bytes.Buffer
		h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), DefaultOptions())
		p := plants[int(which)%len(plants)]
		l := slog.New(h)
		if group != "" {
			l = l.WithGroup(group)
		}
		l = l.With(key, value)
		l.Info(msg+"\n"+p.text+"\n",
			slog.String(key, value),
			slog.Group("g", slog.String(key, value), slog.Any("m", map[string]any{key: value, "l": []any{value, p.text}})),
			slog.Any("err", errors.New(value+"\n"+p.text)))
		out := buf.String()
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("output is not one JSON object: %v\n%s", err, out)
		}
		if strings.Contains(out, p.secret) {
			t.Fatalf("planted %q survived:\n%s", p.secret, out)
		}
		// The value of a secret key never appears as a value.
		if !h.Redactor().IsSecretKey(key) {
			return
		}
		buf.Reset()
		base := slog.New(h)
		if group != "" {
			base = base.WithGroup(group)
		}
		base.With(key, value).Info("", slog.String(key, value))
		var doc any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, buf.String())
		}
		for _, leaf := range stringLeaves(doc) {
			if leaf == value && value != "INFO" && value != "" && value != defaultReplacement {
				t.Fatalf("value %q of secret key %q survived:\n%s", value, key, buf.String())
			}
		}
	})
}

func stringLeaves(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, stringLeaves(e)...)
		}
		return out
	}
	return nil
}

// FuzzRedactBody plants a password under a secret key in a JSON or form
// body surrounded by fuzzed data, in the encodings a reader decodes
// (escaped JSON names, percent-encoded and bracketed form keys): the body
// never panics the redactor, and the planted password never survives.
func FuzzRedactBody(f *testing.F) {
	f.Add([]byte(`{"a":1}`), "user", uint8(0))
	f.Add([]byte(`a=1&b=2`), "x", uint8(5))
	f.Add([]byte(`["\u0041",{"k":"v"}]`), "pass\\u0077ord", uint8(2))
	f.Add([]byte(``), "", uint8(7))
	x := NewRedactor(DefaultOptions())
	f.Fuzz(func(t *testing.T, data []byte, name string, form uint8) {
		if bytes.Contains(data, []byte(plantedPassword)) || strings.Contains(name, plantedPassword) {
			return
		}
		x.RedactBody("", data) // any input: no panic
		nj, _ := json.Marshal(name)
		var body string
		switch form % 8 {
		case 0: // a JSON object with fuzzed members around the secret
			if !json.Valid(data) {
				data = []byte(`null`)
			}
			body = `{"x":` + string(data) + `,` + string(nj) + `:1,"password":"` + plantedPassword + `"}`
		case 1: // a secret member nested in a fuzzed name
			body = `{` + string(nj) + `:{"client_secret":{"v":"` + plantedPassword + `"}}}`
		case 2: // escaped member name
			body = `{"pass\u0077ord":"` + plantedPassword + `","n":` + string(nj) + `}`
		case 3: // JSON held in a JSON string
			inner, _ := json.Marshal(`{"token":"` + plantedPassword + `"}`)
			body = `{"body":` + string(inner) + `}`
		case 4: // form body, plain key
			body = url.QueryEscape(name) + "=" + url.QueryEscape(string(data)) + "&password=" + plantedPassword
		case 5: // form body, percent-encoded bracketed key
			body = "a=" + url.QueryEscape(string(data)) + "&user%5Bpassword%5D=" + plantedPassword
		case 6: // form body, bracketed key
			body = "user[api_key]=" + plantedPassword + "&" + url.QueryEscape(name) + "=1"
		case 7: // a URL password holding '@'
			body = "dial postgres://u:" + plantedPassword + "@x@db/" + url.PathEscape(name)
		}
		out := x.RedactBody("", []byte(body))
		if bytes.Contains(out, []byte(plantedPassword)) {
			t.Fatalf("planted password survived in\n%s\n->\n%s", body, out)
		}
		if json.Valid([]byte(body)) && !json.Valid(out) {
			t.Fatalf("valid JSON became invalid: %s", out)
		}
	})
}

// fuzzRecord is a decoded request as callers log it.
type fuzzRecord struct {
	Name     string            `json:"name"`
	Password string            `json:"password"`
	Tags     map[string]string `json:"tags,omitempty"`
	Next     *fuzzRecord       `json:"next,omitempty"`
	Items    []any             `json:"items,omitempty"`
}

// FuzzAnyValue logs fuzzed values of kind Any holding a planted password
// under a secret key (a struct field, a map key, nested): redaction never
// panics, never leaks the password, and a value it leaves unchanged is the
// caller's own.
func FuzzAnyValue(f *testing.F) {
	f.Add("k", "v", int64(1), uint8(0))
	f.Add("password", "\u2028<&>", int64(4111111111111111), uint8(3))
	f.Add("", "", int64(-1), uint8(9))
	x := NewRedactor(DefaultOptions())
	f.Fuzz(func(t *testing.T, key, value string, n int64, shape uint8) {
		if strings.Contains(key+value, plantedPassword) {
			return
		}
		// Any value: no panic, and unchanged means the same value back.
		for _, v := range []any{map[string]any{key: value, "n": n}, []any{key, value, n}, fuzzRecord{Name: key, Items: []any{value}}} {
			got, ok := x.RedactValue(slog.AnyValue(v))
			if !ok && fmt.Sprint(got.Any()) != fmt.Sprint(v) {
				t.Fatalf("unchanged value differs: %v -> %v", v, got)
			}
		}
		var v any
		switch shape % 5 {
		case 0:
			v = fuzzRecord{Name: key, Password: plantedPassword, Tags: map[string]string{key: value}}
		case 1:
			v = &fuzzRecord{Name: value, Next: &fuzzRecord{Password: plantedPassword}, Items: []any{n, key}}
		case 2:
			v = map[string]any{key: value, "api_key": plantedPassword, "n": n}
		case 3:
			v = []*fuzzRecord{{Name: key, Tags: map[string]string{value: "x", "secret": plantedPassword}}}
		case 4:
			v = map[int64]any{n: []any{value, map[string]string{"pwd": plantedPassword}}}
		}
		var buf bytes.Buffer
		l := slog.New(newHandler(slog.NewJSONHandler(&buf, nil), x))
		l.Info("m", "v", v)
		if strings.Contains(buf.String(), plantedPassword) {
			t.Fatalf("planted password survived:\n%s", buf.String())
		}
		// A text sink writes the same JSON, and a field JSON leaves out
		// (json:"-", unexported) is never written.
		buf.Reset()
		l = slog.New(newHandler(slog.NewTextHandler(&buf, nil), x))
		l.Info("m", "v", v, "hidden", credentials{User: key, Password: plantedPassword}, "private", &privateCredentials{value, plantedPassword})
		if strings.Contains(buf.String(), plantedPassword) {
			t.Fatalf("planted password survived in a text sink:\n%s", buf.String())
		}
	})
}

// FuzzTruncatedBody cuts JSON bodies with secrets under escaped member
// names at a fuzzed point, as a capture limit does: no part of a secret is
// written.
func FuzzTruncatedBody(f *testing.F) {
	f.Add(uint64(1), uint16(40))
	f.Add(uint64(7), uint16(0))
	f.Add(uint64(3), uint16(500))
	x := NewRedactor(DefaultOptions())
	f.Fuzz(func(t *testing.T, seed uint64, cut uint16) {
		rng := rand.New(rand.NewPCG(seed, 10))
		body, secrets := truncatedBody(rng, int(seed%1000))
		in := body[:int(cut)%(len(body)+1)]
		out := string(x.RedactBody("application/json", []byte(in)))
		for _, sec := range secrets {
			for l := 4; l <= len(sec); l++ {
				if strings.Contains(out, sec[:l]) {
					t.Fatalf("%q of a secret written: %s -> %s", sec[:l], in, out)
				}
			}
		}
	})
}
