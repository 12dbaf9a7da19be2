package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
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
}

func FuzzRedactString(f *testing.F) {
	f.Add("", "", uint8(0))
	f.Add("user logged in", "at 12:30", uint8(3))
	f.Add("token=", "=x", uint8(16))
	f.Add("4111 ", " 1111", uint8(4))
	f.Add("-----BEGIN", "-----END", uint8(15))
	f.Add(`{"a":"`, `"}`, uint8(18))
	x := NewRedactor(Options{})
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
	})
}

func FuzzKeys(f *testing.F) {
	for _, k := range []string{"password", "X-Api-Key", "tokens_used", "APIKey", "a.b.c", "", "日本_token"} {
		f.Add(k, "value")
	}
	cached := NewRedactor(Options{KeyCacheSize: 8})
	uncached := NewRedactor(Options{KeyCacheSize: -1})
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
		// A rule at either end of any key matches.
		for _, rule := range []string{"password", "access_token", "card_number"} {
			if !cached.IsSecretKey(key+"_"+rule) || !cached.IsSecretKey(rule+"_"+key) {
				t.Fatalf("rule %q not matched next to %q", rule, key)
			}
		}
		// A secret key masks its value whatever it is.
		a, _ := cached.RedactAttr(slog.String(key, value))
		if got && a.Value.String() != DefaultReplacement {
			t.Fatalf("secret key %q: value %q", key, a.Value)
		}
	})
}

func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"password":"x"}`, `[1,"a",{"token":[1,{"a":2}]}]`, `{"a":"\u0041\"b"}`, `{"x`, `"Bearer abcdefgh1"`} {
		f.Add([]byte(s), "v")
	}
	x := NewRedactor(Options{})
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
		var m map[string]any
		if err := json.Unmarshal(masked, &m); err != nil {
			t.Fatalf("masked %q: %v", masked, err)
		}
		if m["api_key"] != DefaultReplacement {
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
		h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), Options{})
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
			if leaf == value && value != "INFO" && value != "" && value != DefaultReplacement {
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
