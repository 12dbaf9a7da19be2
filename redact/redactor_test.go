package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestIsSecretKey(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true},
		{"Password", true},
		{"PASSWORD", true},
		{"pass_word", true},
		{"user_password", true},
		{"password_hash", true},
		{"passwd", true},
		{"pwd", true},
		{"X-Api-Key", true},
		{"apiKey", true},
		{"APIKey", true},
		{"api_key_id", true},
		{"api.key", true},
		{"token", true},
		{"access_token", true},
		{"accessToken", true},
		{"X-Auth-Token", true},
		{"oauth2Token", true},
		{"refresh-token", true},
		{"id_token", true},
		{"secret", true},
		{"client_secret", true},
		{"clientSecret", true},
		{"aws_secret_access_key", true},
		{"Authorization", true},
		{"proxy-authorization", true},
		{"auth", true},
		{"Cookie", true},
		{"Set-Cookie", true},
		{"session", true},
		{"sessionId", true},
		{"private_key", true},
		{"privateKey", true},
		{"card_number", true},
		{"cardNumber", true},
		{"cc", true},
		{"cvv", true},
		{"CVC", true},
		{"ssn", true},
		{"pin", true},
		{"user.pin", true},
		{"http.request.header.authorization", true},
		// a secret word as any component of the key
		{"my_secret_value", true},
		{"db_password_old", true},
		{"user.password.hash", true},
		{"userPasswordHash", true},
		{"x-api-key-v2", true},
		{"MYSQL_PWD", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"stripe.secret.live", true},
		{"user[password]", true},
		// well-known compounds written without separators
		{"PGPASSWORD", true},
		{"dbpassword", true},
		{"apikey", true},
		{"accesstoken", true},
		{"refreshtoken", true},
		{"clientsecret", true},
		{"privatekey", true},
		{"sessionid", true},
		{"csrftoken", true},
		{"SECRETKEY", true},
		// near misses
		{"tokens_used", false},
		{"tokenizer", false},
		{"author", false},
		{"authority", false},
		{"user_id", false},
		{"user", false},
		{"path", false},
		{"status", false},
		{"bcc", false},
		{"spin", false},
		{"keyboard", false},
		{"token_bucket", false},
		{"token_count", false},
		{"max_tokens", false},
		{"tokensUsed", false},
		{"passwordless", false},
		{"session_count", false},
		{"session_ttl", false},
		{"password_max_length", false},
		{"api_key_len", false},
		{"secret_expires", false},
		{"passwords_total", false},
		// the module's own keys
		{"correlation_id", false},
		{"trace_id", false},
		{"_sample_reason", false},
		{"", false},
		{"___", false},
		{"日本", false},
	}
	for _, tt := range tests {
		if got := x.IsSecretKey(tt.key); got != tt.want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestKeyOptions(t *testing.T) {
	keys := slices.DeleteFunc(DefaultOptions().Keys, func(k string) bool { return k == "session" })
	x := NewRedactor(defaultsWith(func(o *Options) {
		o.Keys = append(keys, "customer-email", "X-Internal")
		o.SafeKeys = []string{"token_count", "auth-method"}
	}))
	tests := []struct {
		key  string
		want bool
	}{
		{"customerEmail", true},
		{"billing_customer_email", true},
		{"x_internal", true},
		{"session", false},
		{"session_id", true}, // its own default rule
		{"token_count", false},
		{"TokenCount", false},
		{"token_type", true},
		{"auth_method", false},
		{"password", true},
	}
	for _, tt := range tests {
		if got := x.IsSecretKey(tt.key); got != tt.want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	only := NewRedactor(Options{Keys: []string{"pin"}})
	if only.IsSecretKey("password") || !only.IsSecretKey("PIN") {
		t.Error("Keys is the whole rule set: want only its rule")
	}
	// Without key rules the key=value pattern is off too.
	empty := NewRedactor(Options{Keys: []string{}})
	if s, ok := empty.RedactString("password=hunter2"); ok {
		t.Errorf("no key rules: RedactString masked %q", s)
	}
}

func TestRedactStringSecrets(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name, in, want string
		pat            pattern
	}{
		{"bearer", "Authorization: Bearer " + secretBearer, "Authorization: Bearer [REDACTED]", patKeyValue},
		{"bearer in text", "sent bearer " + secretBearer + " upstream", "sent bearer [REDACTED] upstream", patBearer},
		{"basic", "header Basic " + secretBasic + " rejected", "header Basic [REDACTED] rejected", patBasic},
		{"jwt", "jwt=" + secretJWT, "jwt=[REDACTED]", patKeyValue},
		{"jwt in text", "got " + secretJWT + " from idp", "got [REDACTED] from idp", patJWT},
		{"card spaced", "paid with " + secretCard + " today", "paid with [REDACTED] today", patCard},
		{"card plain", "card " + secretCardRaw, "card [REDACTED]", patCard},
		{"card amex dashes", "amex " + secretAmex + ".", "amex [REDACTED].", patCard},
		{"aws", "key " + secretAWS + " used", "key [REDACTED] used", patAWSAccessKey},
		{"aws temp", "(" + secretAWSTemp + ")", "([REDACTED])", patAWSAccessKey},
		{"gcp", "k=" + secretGCP + "&x=1", "k=[REDACTED]&x=1", patGCPAPIKey},
		{"github", "token " + secretGitHub + " ok", "token [REDACTED] ok", patGitHubToken},
		{"github pat", secretGHPAT, "[REDACTED]", patGitHubToken},
		{"slack", "slack " + secretSlack, "slack [REDACTED]", patSlackToken},
		{"slack webhook", "posting to https://hooks.slack.com/services/T000/B000/XXXXXXXX now", "posting to https://hooks.slack.com/services/[REDACTED] now", patSlackToken},
		{"stripe", "charge with " + secretStripe, "charge with [REDACTED]", patStripeKey},
		{"stripe webhook", "sig " + secretWhsec, "sig [REDACTED]", patStripeKey},
		{"pem", "key:\n" + secretPEM + "\nend", "key:\n[REDACTED]\nend", patPrivateKey},
		{"pem cut short", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhk", "[REDACTED]", patPrivateKey},
		{"url password", "dial postgres://app:s3cr3t@db.internal:5432/orders failed", "dial postgres://app:[REDACTED]@db.internal:5432/orders failed", patURLPassword},
		{"url password with colons", "amqp://u:a:b:c@mq/", "amqp://u:[REDACTED]@mq/", patURLPassword},
		{"url empty user", "redis://:hunter2@cache:6379/0", "redis://:[REDACTED]@cache:6379/0", patURLPassword},
		{"query token", "GET /cb?code=1&access_token=abc.def&state=x", "GET /cb?code=1&access_token=[REDACTED]&state=x", patKeyValue},
		{"dsn", "host=db user=app password=hunter2 dbname=x", "host=db user=app password=[REDACTED] dbname=x", patKeyValue},
		{"json in text", `body {"user":"bob","password":"hunter 2"}`, `body {"user":"bob","password":"[REDACTED]"}`, patKeyValue},
		{"escaped json in text", `body {\"password\":\"hunter2\",\"a\":1}`, `body {\"password\":\"[REDACTED]\",\"a\":1}`, patKeyValue},
		{"colon credential", "invalid token: abc123xyz", "invalid token: [REDACTED]", patKeyValue},
		{"colon long value", "token: abcdefghijklmnopq", "token: [REDACTED]", patKeyValue},
		{"header dump", "X-Api-Key: abcdef\nCookie: theme=dark; session=s", "X-Api-Key: [REDACTED]\nCookie: [REDACTED]; session=[REDACTED]", patKeyValue},
		{"single quoted", "secret='x y'", "secret='[REDACTED]'", patKeyValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := x.Stats().Patterns.get(tt.pat)
			got, ok := x.RedactString(tt.in)
			if !ok || got != tt.want {
				t.Errorf("RedactString(%q) = %q, %v; want %q, true", tt.in, got, ok, tt.want)
			}
			if after := x.Stats().Patterns.get(tt.pat); after <= before {
				t.Errorf("pattern %v not counted (%d -> %d)", tt.pat, before, after)
			}
		})
	}
}

func TestRedactStringNearMisses(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	for _, in := range []string{
		"",
		"request handled",
		"the token was refreshed before the session ended",
		"invalid token: expired",
		"order 4111111111111112 shipped", // fails Luhn
		"order 1234567890123452 shipped", // passes Luhn, issuer prefix 1
		"ts 1732752000123456789",         // Unix nanoseconds
		"id 41111111111111111111111",     // 23 digits: a long ID
		"sku A4111111111111111",          // part of a token
		"tokens_used=512",
		"bearer authentication is required",
		"the basic idea",
		"Basic notbase64!",
		"https://example.com/path?q=1",
		"mailto:bob@example.com at 12:30:45",
		"ghp_short",
		"AKIA short",
		"eyJ alone",
		"-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----",
		"phone 555-123-4567",
		"author=ann",
	} {
		if got, ok := x.RedactString(in); ok || got != in {
			t.Errorf("RedactString(%q) = %q, %v; want unchanged", in, got, ok)
		}
	}
}

func TestRedactStringOptions(t *testing.T) {
	x := NewRedactor(defaultsWith(func(o *Options) {
		o.Replacement = "***"
		o.DisablePatterns = []string{"card"}
		o.Patterns = []CustomPattern{
			{Literal: "EMP-", Regexp: regexp.MustCompile(`EMP-(\d{6})`)},
			{Literal: "", Regexp: regexp.MustCompile(`\bsecret-[a-z]+\b`)},
			{Literal: "x"}, // nil Regexp: ignored
		}
	}))
	tests := []struct{ in, want string }{
		{"card " + secretCard, "card " + secretCard},
		{"employee EMP-123456 left", "employee EMP-*** left"},
		{"use secret-sauce", "use ***"},
		{"password=x", "password=***"},
	}
	for _, tt := range tests {
		if got, _ := x.RedactString(tt.in); got != tt.want {
			t.Errorf("RedactString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := x.Stats().Patterns.Custom; got != 2 {
		t.Errorf("Custom = %d, want 2", got)
	}
}

func TestOverlappingSpansMerge(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	// The key=value value and the JWT cover the same bytes: one replacement.
	got, _ := x.RedactString("token=" + secretJWT + " next")
	if want := "token=[REDACTED] next"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Two secrets side by side stay two replacements.
	got, _ = x.RedactString(secretAWS + " " + secretGitHub)
	if want := "[REDACTED] [REDACTED]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

type tokenValuer struct{ tok string }

func (v tokenValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", "bob"), slog.String("api_key", v.tok), slog.String("note", "auth "+secretJWT))
}

func TestRedactValue(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name string
		in   slog.Value
		want slog.Value
		ok   bool
	}{
		{"safe string", slog.StringValue("hello"), slog.StringValue("hello"), false},
		{"string", slog.StringValue("k " + secretAWS), slog.StringValue("k [REDACTED]"), true},
		{"card int", slog.Int64Value(4111111111111111), slog.StringValue("[REDACTED]"), true},
		{"card uint", slog.Uint64Value(5500005555555559), slog.StringValue("[REDACTED]"), true},
		{"order int", slog.Int64Value(4111111111111112), slog.Int64Value(4111111111111112), false},
		{"negative int", slog.Int64Value(-4111111111111111), slog.Int64Value(-4111111111111111), false},
		{"error", slog.AnyValue(fmt.Errorf("dial: %w", errors.New("postgres://u:pw@db/x refused"))), slog.StringValue("dial: postgres://u:[REDACTED]@db/x refused"), true},
		{"bytes", slog.AnyValue([]byte("Bearer " + secretBearer)), slog.StringValue("Bearer [REDACTED]"), true},
		{"safe bytes", slog.AnyValue([]byte("ok")), slog.AnyValue([]byte("ok")), false},
		{"map", slog.AnyValue(map[string]any{"password": 1, "n": 2, "in": []any{"a", secretAWS}}),
			slog.AnyValue(map[string]any{"password": "[REDACTED]", "n": 2, "in": []any{"a", "[REDACTED]"}}), true},
		{"float card", slog.Float64Value(4111111111111111), slog.StringValue("[REDACTED]"), true},
		{"float", slog.Float64Value(4111111111111112), slog.Float64Value(4111111111111112), false},
		{"string map", slog.AnyValue(map[string]string{"Cookie": "a=b", "x": "y"}), slog.AnyValue(map[string]string{"Cookie": "[REDACTED]", "x": "y"}), true},
		{"strings", slog.AnyValue([]string{"a", secretGitHub}), slog.AnyValue([]string{"a", "[REDACTED]"}), true},
		{"group", slog.GroupValue(slog.String("u", "bob"), slog.Group("creds", slog.String("Password", "x"), slog.Int("n", 1))),
			slog.GroupValue(slog.String("u", "bob"), slog.Group("creds", slog.String("Password", "[REDACTED]"), slog.Int("n", 1))), true},
		{"logvaluer", slog.AnyValue(tokenValuer{"abc"}),
			slog.GroupValue(slog.String("user", "bob"), slog.String("api_key", "[REDACTED]"), slog.String("note", "auth [REDACTED]")), true},
		{"other kinds", slog.BoolValue(true), slog.BoolValue(true), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := x.RedactValue(tt.in)
			if ok != tt.ok {
				t.Errorf("changed = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(encodedAs(t, tt.want), encodedAs(t, got)); diff != "" {
				t.Errorf("written as (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedactAttrSecretKey(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	got, ok := x.RedactAttr(slog.Group("session", slog.String("id", "s1"), slog.Group("user", slog.Int("id", 7))))
	want := slog.Group("session", slog.String("id", "[REDACTED]"), slog.Group("user", slog.String("id", "[REDACTED]")))
	if !ok || !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A key holding a secret itself is masked.
	got, ok = x.RedactAttr(slog.Int(secretAWS, 1))
	if !ok || got.Key != "[REDACTED]" {
		t.Errorf("got %v, want the key masked", got)
	}
	// Deep Any nesting is seen as the encoder writes it, whatever its depth.
	var deep any = "password=hunter2"
	clean := any("leaf")
	for range 200 {
		deep, clean = []any{deep}, []any{clean}
	}
	if got, ok := x.RedactValue(slog.AnyValue(deep)); !ok || strings.Contains(encodedAs(t, got), "hunter2") {
		t.Errorf("deep nesting: got %s, want masked", encodedAs(t, got))
	}
	// A clean one is replaced by its encoding, unchanged.
	wantClean, _ := json.Marshal(clean)
	if got, ok := x.RedactValue(slog.AnyValue(clean)); !ok || encodedAs(t, got) != string(wantClean) {
		t.Errorf("deep clean nesting: got %v %.80s..., want its encoding", ok, encodedAs(t, got))
	}
}

func TestRedactJSON(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"secret members", `{"user":"bob","password":"hunter2","card":{"number":"x","cvv":123},"auth":{"a":[1,2]}}`,
			`{"user":"bob","password":"[REDACTED]","card":{"number":"x","cvv":"[REDACTED]"},"auth":"[REDACTED]"}`, true},
		{"layout kept", "{\n  \"token\" : null ,\n  \"n\": 1.50e3\n}", "{\n  \"token\" : \"[REDACTED]\" ,\n  \"n\": 1.50e3\n}", true},
		{"patterns in strings", `["ok","Bearer ` + secretBearer + `",{"u":"https://a:b@c"}]`, `["ok","Bearer [REDACTED]",{"u":"https://a:[REDACTED]@c"}]`, true},
		{"escaped key", `{"pass\u0077ord":"x"}`, `{"pass\u0077ord":"[REDACTED]"}`, true},
		{"pem in string", `{"k":"` + strings.ReplaceAll(secretPEM, "\n", `\n`) + `"}`, `{"k":"[REDACTED]"}`, true},
		{"nothing", `{"a":[true,false,null,-1,"x"]}`, `{"a":[true,false,null,-1,"x"]}`, false},
		{"cut short", `{"user":"bob","password":"hunt`, `{"user":"bob","password":"[REDACTED]`, true},
		{"invalid", `{"password": hunter2}`, `{"password": [REDACTED]}`, true},
		{"not json", `password=x`, `password=[REDACTED]`, true},
		{"empty", ``, ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := x.RedactJSON([]byte(tt.in))
			if diff := cmp.Diff(tt.want, string(got)); diff != "" || ok != tt.ok {
				t.Errorf("RedactJSON(%s) changed=%v (want %v), diff (-want +got):\n%s", tt.in, ok, tt.ok, diff)
			}
			if json.Valid([]byte(tt.in)) && !json.Valid(got) {
				t.Errorf("valid input gave invalid output %s", got)
			}
		})
	}
	// Nothing masked: the same slice comes back.
	in := []byte(`{"a":1}`)
	if got, _ := x.RedactJSON(in); &got[0] != &in[0] {
		t.Error("want the input slice back when nothing is masked")
	}
}

func TestDefaultOptionsRedactor(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	if got, ok := x.RedactString("password=x"); !ok || got != "password=[REDACTED]" {
		t.Errorf("String = %q, %v", got, ok)
	}
	if got, ok := x.RedactJSON([]byte(`{"secret":1}`)); !ok || string(got) != `{"secret":"[REDACTED]"}` {
		t.Errorf("JSON = %s, %v", got, ok)
	}
}

func TestPatternString(t *testing.T) {
	if got := patURLPassword.String(); got != "url_password" {
		t.Errorf("got %q", got)
	}
	if got := pattern(99).String(); got != "pattern(99)" {
		t.Errorf("got %q", got)
	}
	var c PatternCounts
	c.JWT, c.Card = 2, 3
	if c.Total() != 5 || c.get(patCard) != 3 || c.get(pattern(99)) != 0 {
		t.Errorf("PatternCounts: %+v", c)
	}
	for p := range pattern(numPatterns) {
		if got, ok := patternNamed(p.String()); !ok || got != p {
			t.Errorf("patternNamed(%q) = %v, %v; want %v", p.String(), got, ok, p)
		}
		if c.field(p) == nil {
			t.Errorf("PatternCounts has no counter for %v", p)
		}
	}
}

func TestKeyCacheBounded(t *testing.T) {
	x := NewRedactor(defaultsWith(func(o *Options) { o.KeyCacheSize = 64 }))
	for i := range 10000 {
		x.IsSecretKey(fmt.Sprintf("field_%d", i))
	}
	stored := 0
	for i := range x.cache.slots {
		if x.cache.slots[i].Load() != nil {
			stored++
		}
	}
	if stored > 64 {
		t.Errorf("cache holds %d entries, bound 64", stored)
	}
	// Hot keys hit.
	x.IsSecretKey("hot")
	before := x.Stats()
	for range 100 {
		x.IsSecretKey("hot")
	}
	after := x.Stats()
	if after.KeyCacheHits-before.KeyCacheHits != 100 || after.KeyCacheMisses != before.KeyCacheMisses {
		t.Errorf("hits %d->%d misses %d->%d", before.KeyCacheHits, after.KeyCacheHits, before.KeyCacheMisses, after.KeyCacheMisses)
	}
	// 500 hot keys fit in the default cache: after one pass, only hits.
	warm := NewRedactor(DefaultOptions())
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("attr_%d", i)
		warm.IsSecretKey(keys[i])
	}
	missed := warm.Stats().KeyCacheMisses
	for _, k := range keys {
		warm.IsSecretKey(k)
	}
	if s := warm.Stats(); s.KeyCacheMisses != missed || s.KeyCacheHits != 500 {
		t.Errorf("second pass: %d new misses, %d hits; want 0 and 500", s.KeyCacheMisses-missed, s.KeyCacheHits)
	}
	// Long keys are never cached but still judged.
	long := strings.Repeat("a", 200) + "_password"
	if !x.IsSecretKey(long) {
		t.Error("long key not judged secret")
	}
	// The cache can be turned off.
	for _, size := range []int{0, -1} {
		off := NewRedactor(defaultsWith(func(o *Options) { o.KeyCacheSize = size }))
		if off.cache != nil || !off.IsSecretKey("token") {
			t.Errorf("KeyCacheSize %d: want no cache and a working verdict", size)
		}
	}
	big := NewRedactor(defaultsWith(func(o *Options) { o.KeyCacheSize = 1 << 30 }))
	if len(big.cache.slots) != maxKeyCacheSize {
		t.Errorf("cache size %d, want the cap %d", len(big.cache.slots), maxKeyCacheSize)
	}
}

func TestRedactNamedMapsAndSlices(t *testing.T) {
	type header map[string][]string
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name string
		in   any
		want string // as the JSON handler writes the result
		ok   bool
	}{
		{"named map", header{"Authorization": {"Bearer " + secretBearer}, "Accept": {"*/*"}, "X-Note": {"see " + secretAWS}},
			`{"Accept":["*/*"],"Authorization":"[REDACTED]","X-Note":["see [REDACTED]"]}`, true},
		// The JSON handler writes the errors of a slice with json.Marshal: {}.
		{"errors in a slice", []error{errors.New("ok"), errors.New("password=x")}, `[{},{}]`, true},
		{"clean header", header{"Accept": {"*/*"}}, `{"Accept":["*/*"]}`, true},
		{"non-string keys", map[int]string{1: "password=x", 2: "ok"}, `{"1":"password=[REDACTED]","2":"ok"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := x.RedactValue(slog.AnyValue(tt.in))
			if diff := cmp.Diff(tt.want, encodedAs(t, got)); diff != "" || ok != tt.ok {
				t.Errorf("changed %v (want %v), (-want +got):\n%s", ok, tt.ok, diff)
			}
		})
	}
}

func TestRedactBody(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	if got := string(x.RedactBody("application/x-www-form-urlencoded", []byte("user=bob&password=hunter2"))); got != "user=bob&password=[REDACTED]" {
		t.Errorf("form: %s", got)
	}
	if got := string(x.RedactBody("application/json", []byte(`{"token":"t"}`))); got != `{"token":"[REDACTED]"}` {
		t.Errorf("json: %s", got)
	}
	x2 := NewRedactor(Options{DisablePatterns: []string{"custom"}, Patterns: []CustomPattern{{Regexp: regexp.MustCompile(`x`)}}})
	if got, ok := x2.RedactString("x"); ok {
		t.Errorf("custom patterns disabled, got %q", got)
	}
}

func TestRedactValueCleanScalarsDoNotAllocate(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	values := []slog.Value{
		slog.StringValue("/api/v1/orders/42?page=2"),
		slog.Int64Value(4111111111111112),
		slog.Float64Value(0.25),
		slog.AnyValue(errors.New("upstream timeout at 12:30")),
		slog.AnyValue([]byte("plain bytes")),
		slog.StringValue(`{"a":"b","n":1}`),
	}
	for _, v := range values {
		x.RedactValue(v) // fill the key cache
		if n := testing.AllocsPerRun(100, func() { x.RedactValue(v) }); n != 0 {
			t.Errorf("RedactValue(%v) allocates %v times, want 0", v, n)
		}
	}
}

func TestLongKeysDoNotAllocate(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	long := strings.Repeat("field_", 20) + "name"
	longSecret := strings.Repeat("field_", 20) + "token"
	for _, k := range []string{long, longSecret} {
		want := k == longSecret
		if n := testing.AllocsPerRun(50, func() {
			if x.IsSecretKey(k) != want {
				t.Fatalf("IsSecretKey(%q) != %v", k, want)
			}
		}); n != 0 {
			t.Errorf("IsSecretKey(%d-byte key) allocates %v times", len(k), n)
		}
	}
}

// encodedAs returns v as slog.JSONHandler writes it as an attribute value.
func encodedAs(t *testing.T, v slog.Value) string {
	t.Helper()
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
			return slog.Attr{}
		}
		return a
	}})
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
	r.AddAttrs(slog.Attr{Key: "v", Value: v})
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	if !strings.HasPrefix(out, `{"v":`) || !strings.HasSuffix(out, "}") {
		t.Fatalf("unexpected encoding %s", out)
	}
	return out[len(`{"v":`) : len(out)-1]
}
