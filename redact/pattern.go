package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"unsafe"
)

// CustomPattern is a value pattern added with Options.Patterns.
type CustomPattern struct {
	// Literal must occur in a string for Regexp to run on it; it is the
	// cheap pre-screen. Empty means Regexp runs on every string, which costs
	// a regular-expression search per string attribute.
	Literal string
	// Regexp finds the secrets. When it has a capturing group, only the
	// text of the first group is masked; otherwise the whole match is. A nil
	// Regexp makes the pattern do nothing.
	Regexp *regexp.Regexp
}

// regexpRule is one regular expression of a built-in pattern, compiled
// once at package initialisation. Every rule starts with a literal, so that
// the regexp package skips to the literal's occurrences instead of running
// its automaton over the whole string; the word boundary that a leading \b
// would check (and that would defeat that skip) is checked by findRegexp.
type regexpRule struct {
	re *regexp.Regexp
	// group selects the submatch to mask (0 = the whole match).
	group int
	// wordStart: the match must not follow a letter, digit or underscore.
	wordStart bool
	// valid, when set, must accept the masked text.
	valid func(string) bool
}

var builtinRegexps = [numPatterns][]regexpRule{
	patJWT: {
		{re: regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`), wordStart: true, valid: isJWT},
	},
	patAWSAccessKey: {
		{re: regexp.MustCompile(`AKIA[A-Z0-9]{16}\b`), wordStart: true},
		{re: regexp.MustCompile(`ASIA[A-Z0-9]{16}\b`), wordStart: true},
	},
	patGCPAPIKey: {
		{re: regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`), wordStart: true},
	},
	patGitHubToken: {
		{re: regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,251}\b`), wordStart: true},
		{re: regexp.MustCompile(`github_pat_[A-Za-z0-9_]{22,244}\b`), wordStart: true},
	},
	patSlackToken: {
		{re: regexp.MustCompile(`xox[abeoprs]-[A-Za-z0-9-]{10,250}`), wordStart: true},
		{re: regexp.MustCompile(`hooks\.slack\.com/services/([A-Za-z0-9_/-]+)`), group: 1},
	},
	patStripeKey: {
		{re: regexp.MustCompile(`sk_(?:live|test)_[A-Za-z0-9]{10,247}\b`), wordStart: true},
		{re: regexp.MustCompile(`rk_(?:live|test)_[A-Za-z0-9]{10,247}\b`), wordStart: true},
		{re: regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{16,250}`), wordStart: true},
	},
	patPrivateKey: {
		{re: regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)`)},
	},
}

// isJWT accepts a JWT-shaped match whose header decodes to a JSON object,
// as every real JWT's does; an identifier that merely starts with "eyJ" is
// not masked.
func isJWT(s string) bool {
	header, _, _ := strings.Cut(s, ".")
	header = strings.TrimRight(header, "=")
	enc := base64.RawURLEncoding
	var stack [maxJWTHeader]byte
	if enc.DecodedLen(len(header)) > len(stack) {
		return true // too long to check on the stack: masked, to be safe
	}
	n, err := enc.Decode(stack[:], unsafe.Slice(unsafe.StringData(header), len(header)))
	return err == nil && n > 0 && stack[0] == '{' && json.Valid(stack[:n])
}

// maxJWTHeader is the longest decoded JWT header checked by isJWT.
const maxJWTHeader = 512

// itoa formats a small non-negative int without strconv.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// minBearerLen is the shortest bearer credential masked.
const minBearerLen = 8

// looksLikeCredential accepts the credential after "Bearer ": at least 8
// characters with a digit or a symbol, or at least 20 (so that "bearer
// authentication" in prose stays readable).
func looksLikeCredential(s string) bool {
	if len(s) < minBearerLen {
		return false
	}
	if len(s) >= 20 {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) || strings.IndexByte("-._~+/=", c) >= 0 {
			return true
		}
	}
	return false
}

// isBasicCredential accepts the credential after "Basic " when it is
// base64 of user:password.
func isBasicCredential(s string) bool {
	if len(s) < 4 || len(s) > 1024 {
		return false
	}
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	var stack [768]byte
	dst := stack[:enc.DecodedLen(len(s))]
	n, err := enc.Decode(dst, []byte(s))
	if err != nil {
		return false
	}
	return bytes.IndexByte(dst[:n], ':') >= 0
}
