package httpctx

import (
	"net/http"
	"strings"
	"testing"
)

// TestBodyCutDropsPartialWord checks that a body cut by the capture limit
// loses the partial word at the cut before it is redacted: what is left of
// a cut card number or token would not be recognised as a secret, yet
// would give most of it away.
func TestBodyCutDropsPartialWord(t *testing.T) {
	tests := []struct {
		name string
		body string
		max  int
		want string
	}{
		{"card", "note xx 4111111111111111 more", 23, "note xx "},
		{"grouped card", "card 4111 1111 1111 1111", 20, "card "},
		{"bearer", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz", 40, "Authorization: Bearer "},
		{"form value", "user=a&token=tok_live_0123456789", 25, "user=a&token="},
		{"cut at a separator", "a b c d", 4, "a b "},
		{"whole body", "a 4111", 100, "a 4111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			opts := &BodyOptions{Request: true, MaxBytes: tt.max, Redact: func(ct string, b []byte) []byte {
				seen = string(b)
				return b
			}}
			c := newBodyCapture(opts, "text/plain", "")
			c.observe([]byte(tt.body), http.Header{"Content-Type": {"text/plain"}})
			c.markComplete()
			as, _ := c.appendAttrs(nil, keyRequestBody, keyRequestBodyTruncated)
			if seen != tt.want {
				t.Errorf("redaction saw %q, want %q", seen, tt.want)
			}
			if got := as[0].Value.String(); got != tt.want {
				t.Errorf("logged %q, want %q", got, tt.want)
			}
			if strings.Contains(as[0].Value.String(), "41111111") {
				t.Errorf("part of the card logged: %q", as[0].Value.String())
			}
		})
	}
}
