package redact

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// naiveReplaceAttr is how masking is commonly done today: a ReplaceAttr
// that matches every key against a regular expression and runs every
// pattern's regular expression over every string value.
func naiveReplaceAttr() func([]string, slog.Attr) slog.Attr {
	keyRe := regexp.MustCompile(`(?i)^(password|passwd|pwd|secret|token|access_token|refresh_token|id_token|api_?key|auth|authorization|cookie|set_cookie|session|session_id|private_key|client_secret|card_number|cc|cvv|cvc|ssn|pin)$`)
	valueRes := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*`),
		regexp.MustCompile(`(?i)\bbasic\s+[A-Za-z0-9+/]+={0,2}`),
		regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
		regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`),
		regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`),
		regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`),
		regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,}`),
		regexp.MustCompile(`\bxox[abeoprs]-[A-Za-z0-9-]{10,}`),
		regexp.MustCompile(`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`),
		regexp.MustCompile(`-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)-----END[A-Z ]*PRIVATE KEY-----`),
		regexp.MustCompile(`://[^\s:/?#@]*:[^\s@/?#]+@`),
	}
	return func(_ []string, a slog.Attr) slog.Attr {
		if keyRe.MatchString(a.Key) {
			return slog.String(a.Key, defaultReplacement)
		}
		if a.Value.Kind() == slog.KindString {
			s := a.Value.String()
			for _, re := range valueRes {
				s = re.ReplaceAllString(s, defaultReplacement)
			}
			return slog.String(a.Key, s)
		}
		return a
	}
}

// longText is about 1 KiB of log text.
var longText = strings.Repeat("upstream replied slowly; retrying request to the orders service with backoff ", 13)

// BenchmarkRecord measures one log call on the standard payload (a logger
// bound with 2 attributes, 6 attributes of mixed kinds) through
// slog.JSONHandler to io.Discard: plain (no masking), redact (Handler in
// front) and naive (ReplaceAttr with regular expressions), for records with
// no secret, one secret key, and one secret inside a 1 KiB string. The
// handler-only rows put Handler in front of a no-op handler.
func BenchmarkRecord(b *testing.B) {
	cases := []struct {
		name  string
		extra []slog.Attr
	}{
		{"no-secrets", nil},
		{"secret-key", []slog.Attr{slog.String("password", "hunter2")}},
		{"secret-in-long-string", []slog.Attr{slog.String("note", longText+" auth "+secretJWT+" "+longText)}},
		{"long-string-no-secret", []slog.Attr{slog.String("note", longText+longText)}},
	}
	impls := []struct {
		name string
		h    func() slog.Handler
	}{
		{"plain", func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }},
		{"redact", func() slog.Handler { return NewHandler(slog.NewJSONHandler(io.Discard, nil), DefaultOptions()) }},
		{"naive", func() slog.Handler {
			return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: naiveReplaceAttr()})
		}},
		{"redact-only", func() slog.Handler { return NewHandler(noopHandler{}, DefaultOptions()) }},
	}
	ctx := context.Background()
	for _, c := range cases {
		for _, im := range impls {
			b.Run("case="+c.name+"/impl="+im.name, func(b *testing.B) {
				l := slog.New(im.h()).With("service", "orders", "correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736")
				attrs := append([]slog.Attr{
					slog.String("method", "GET"), slog.String("path", "/api/v1/orders/42"), slog.Int("status", 200),
					slog.Duration("latency", 1500*time.Microsecond), slog.Int("bytes", 5120), slog.Bool("ok", true),
				}, c.extra...)
				b.ReportAllocs()
				for b.Loop() {
					l.LogAttrs(ctx, slog.LevelInfo, "request handled", attrs...)
				}
			})
		}
	}
}

// noopHandler is enabled and does nothing, so that the handler's own cost
// is measured.
type noopHandler struct{}

func (noopHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (noopHandler) Handle(context.Context, slog.Record) error { return nil }
func (h noopHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h noopHandler) WithGroup(string) slog.Handler           { return h }

// BenchmarkRedactString measures the string path on its own: the byte
// pre-screen of a clean string, and a string with a secret.
func BenchmarkRedactString(b *testing.B) {
	x := NewRedactor(DefaultOptions())
	for _, c := range []struct{ name, s string }{
		{"clean-short", "/api/v1/orders/42"},
		{"clean-1KiB", longText},
		{"jwt-in-1KiB", longText + secretJWT},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.s)))
			b.ReportAllocs()
			for b.Loop() {
				x.RedactString(c.s)
			}
		})
	}
}

// BenchmarkRedactJSON measures masking a 2 KiB JSON body with one secret
// member.
func BenchmarkRedactJSON(b *testing.B) {
	x := NewRedactor(DefaultOptions())
	body := []byte(`{"items":[` + strings.Repeat(`{"sku":"A-1","qty":2,"note":"gift wrap please"},`, 40) +
		`{"sku":"B"}],"customer":{"name":"Ann","password":"hunter2"}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		x.RedactJSON(body)
	}
}

// BenchmarkAnyStruct measures a record carrying a decoded request struct
// (kind Any) through slog.JSONHandler to io.Discard, plain and behind
// Handler, with the password field empty (nothing masked but the encoding)
// and set.
func BenchmarkAnyStruct(b *testing.B) {
	type request struct {
		User     string `json:"user"`
		Password string `json:"password,omitempty"`
		Items    []int  `json:"items"`
	}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		req  request
	}{
		{"no-secret", request{User: "bob", Items: []int{1, 2, 3}}},
		{"password", request{User: "bob", Password: "hunter2", Items: []int{1, 2, 3}}},
	} {
		for _, im := range []struct {
			name string
			h    slog.Handler
		}{
			{"plain", slog.NewJSONHandler(io.Discard, nil)},
			{"redact", NewHandler(slog.NewJSONHandler(io.Discard, nil), DefaultOptions())},
		} {
			b.Run("case="+c.name+"/impl="+im.name, func(b *testing.B) {
				l := slog.New(im.h)
				b.ReportAllocs()
				for b.Loop() {
					l.LogAttrs(ctx, slog.LevelInfo, "login", slog.Any("req", c.req))
				}
			})
		}
	}
}
