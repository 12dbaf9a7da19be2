package benchmarks

import (
	"log/slog"
	"regexp"
	"strings"
)

// Secret values of the "secret" redaction payload: a bearer JWT in an
// authorization attribute and a card number (it passes Luhn) inside an
// error text. Neither may reach the output of a redacting setup.
var (
	SecretToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBsYWNlaG9sZGVy"
	SecretCard  = "4111 1111 1111 1111"
)

// naiveKeys is the deny list of NaiveRedactReplaceAttr, compared after
// lower-casing the key and mapping '-' to '_'.
var naiveKeys = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "api_key": true,
	"authorization": true, "cookie": true, "set_cookie": true, "session": true,
	"private_key": true, "card_number": true, "cvv": true, "ssn": true,
}

// naivePatterns are the value patterns of NaiveRedactReplaceAttr: bearer
// tokens, JWTs, card-like digit runs and AWS access key IDs.
var naivePatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9\-._~+/]+=*`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`),
	regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`),
	regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`),
}

// NaiveRedactReplaceAttr is redaction as services commonly write it
// without a library: a slog.HandlerOptions.ReplaceAttr that looks every
// key up in a deny list and runs every pattern over every string and error
// text. It is the yardstick of redact.Handler's cost.
func NaiveRedactReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if naiveKeys[strings.ReplaceAll(strings.ToLower(a.Key), "-", "_")] {
		return slog.String(a.Key, "[REDACTED]")
	}
	var s string
	switch a.Value.Kind() {
	case slog.KindString:
		s = a.Value.String()
	case slog.KindAny:
		err, ok := a.Value.Any().(error)
		if !ok {
			return a
		}
		s = err.Error()
	default:
		return a
	}
	masked := s
	for _, re := range naivePatterns {
		masked = re.ReplaceAllString(masked, "[REDACTED]")
	}
	if masked == s && a.Value.Kind() == slog.KindString {
		return a
	}
	return slog.String(a.Key, masked)
}
