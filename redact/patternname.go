package redact

import (
	"errors"
	"fmt"
	"strings"
)

// pattern is one built-in value pattern. Options.DisablePatterns names the
// patterns to turn off by their names (pattern.String); Stats counts masks
// by pattern in PatternCounts.
type pattern uint8

// The built-in value patterns. Each masks only the secret part of what it
// finds (the credential after "Bearer ", the password of a URL), so the
// surrounding text stays readable.
const (
	// patBearer masks the credential of "Bearer <credential>"
	// (any case) when it looks like one: at least 8 characters of the
	// RFC 6750 token alphabet with a digit or a symbol, or at least 20.
	patBearer pattern = iota
	// patBasic masks the credential of "Basic <base64>" (any case)
	// when it decodes to user:password.
	patBasic
	// patJWT masks JSON Web Tokens (eyJ<header>.<payload>.<signature>)
	// whose header decodes to a JSON object.
	patJWT
	// patCard masks card numbers: 13 to 19 digits, optionally grouped
	// by single spaces or dashes, starting with 2 to 6 and passing the Luhn
	// check. Also applies to int64 and uint64 values.
	patCard
	// patAWSAccessKey masks AWS access key IDs (AKIA... and ASIA...).
	patAWSAccessKey
	// patGCPAPIKey masks Google Cloud API keys (AIza...).
	patGCPAPIKey
	// patGitHubToken masks GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_,
	// github_pat_).
	patGitHubToken
	// patSlackToken masks Slack tokens (xoxb-, xoxp-, ...) and the path
	// of Slack incoming-webhook URLs.
	patSlackToken
	// patStripeKey masks Stripe secret and restricted keys (sk_live_,
	// sk_test_, rk_live_, rk_test_) and webhook secrets (whsec_).
	patStripeKey
	// patPrivateKey masks PEM private-key blocks from -----BEGIN ...
	// PRIVATE KEY----- to the matching END line, or to the end of the
	// string when the block is cut short.
	patPrivateKey
	// patURLPassword masks the password of scheme://user:password@host
	// in URLs, read as a URL parser reads it (the user information ends at
	// the last '@' of the authority, so a password holding '@' or ':' is
	// masked whole), keeping the scheme, the user and the host.
	patURLPassword
	// patKeyValue masks the value in key=value, key: value,
	// "key":"value" and key="value" inside text when the key matches a key
	// rule (a query string or form body, a DSN, JSON or a header dump
	// inside a string). Form keys are read decoded: user[password]=x and
	// user%5Bpassword%5D=x match. After an unquoted key and a colon, the
	// colon must be followed by white space (or the value be quoted), so
	// identifiers such as tenant:acme:token:abc123 are never altered; then
	// a header-style key ("X-Api-Key: ...", "Password: ...") always has its
	// value masked, and a lower-case key only a value that looks like a
	// credential (6 characters or more with a digit, or 16 or more), so
	// prose such as "invalid token: expired" stays readable.
	patKeyValue
	// patCustom counts masks made by Options.Patterns; listed in
	// Options.DisablePatterns, it turns them off.
	patCustom

	numPatterns
)

var patternNames = [numPatterns]string{
	patBearer:       "bearer",
	patBasic:        "basic",
	patJWT:          "jwt",
	patCard:         "card",
	patAWSAccessKey: "aws_access_key",
	patGCPAPIKey:    "gcp_api_key",
	patGitHubToken:  "github_token",
	patSlackToken:   "slack_token",
	patStripeKey:    "stripe_key",
	patPrivateKey:   "private_key",
	patURLPassword:  "url_password",
	patKeyValue:     "key_value",
	patCustom:       "custom",
}

// String returns the pattern's name as Options.DisablePatterns spells it,
// such as "jwt" or "url_password", or "pattern(N)" for an unknown value.
func (p pattern) String() string {
	if p < numPatterns {
		return patternNames[p]
	}
	return "pattern(" + itoa(int(p)) + ")"
}

// patternNamed returns the pattern whose name is name, compared exactly.
func patternNamed(name string) (pattern, bool) {
	for p, n := range patternNames {
		if n == name {
			return pattern(p), true
		}
	}
	return 0, false
}

// disabledPatterns returns the set of patterns named by names, as a bit
// set. An unknown name panics with Validate's error: it is a configuration
// error, caught when the Redactor is made.
func disabledPatterns(names []string) uint32 {
	var set uint32
	for _, name := range names {
		p, ok := patternNamed(name)
		if !ok {
			panic(unknownPattern(name).Error())
		}
		set |= 1 << p
	}
	return set
}

// Validate reports an Options that NewRedactor and NewHandler would refuse
// (they panic with the same error): a DisablePatterns entry that names no
// pattern. A builder that takes Options from configuration calls it first
// to return the error instead.
func (o Options) Validate() error {
	var errs []error
	for _, name := range o.DisablePatterns {
		if _, ok := patternNamed(name); !ok {
			errs = append(errs, unknownPattern(name))
		}
	}
	return errors.Join(errs...)
}

// unknownPattern is the error of a DisablePatterns entry that names no
// pattern, listing the valid names.
func unknownPattern(name string) error {
	return fmt.Errorf("redact: Options.DisablePatterns: unknown pattern %q (valid: %s)",
		name, strings.Join(patternNames[:], ", "))
}
