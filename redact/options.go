package redact

import "slices"

// defaultReplacement is the replacement DefaultOptions sets. It has a
// fixed length, so the output does not reveal the length of the secret.
const defaultReplacement = "[REDACTED]"

// defaultKeyCacheSize is the key cache DefaultOptions sets.
const defaultKeyCacheSize = 4096

// maxKeyCacheSize bounds Options.KeyCacheSize.
const maxKeyCacheSize = 1 << 20

// defaultKeys are the key rules DefaultOptions sets; DefaultOptions returns
// a copy, so that no caller can change the rules of another.
var defaultKeys = []string{
	// passwords and passphrases
	"password", "passwd", "pwd", "passphrase", "credential", "credentials",
	// generic secrets and keys
	"secret", "secret_key", "client_secret", "api_secret", "app_secret",
	"private_key", "signing_key", "encryption_key", "master_key", "access_key",
	"api_key", "apikey",
	// tokens
	"token", "access_token", "refresh_token", "id_token", "auth_token",
	"bearer", "jwt", "csrf", "xsrf", "otp", "totp", "mfa_code",
	// HTTP credentials and sessions
	"auth", "authorization", "proxy_authorization", "cookie", "set_cookie",
	"session", "session_id", "sid",
	// connection strings
	"dsn", "connection_string",
	// payment and identity data
	"card_number", "credit_card", "cc", "ccnum", "pan_number", "cvv", "cvv2",
	"cvc", "cvc2", "ssn", "social_security_number", "pin",
}

// DefaultOptions returns the recommended options: Replacement "[REDACTED]",
// every value pattern, a key cache of 4096 entries, and in Keys the built-in
// key rules:
//
//	password passwd pwd passphrase credential credentials
//	secret secret_key client_secret api_secret app_secret private_key
//	signing_key encryption_key master_key access_key api_key apikey
//	token access_token refresh_token id_token auth_token bearer jwt csrf
//	xsrf otp totp mfa_code
//	auth authorization proxy_authorization cookie set_cookie session
//	session_id sid
//	dsn connection_string
//	card_number credit_card cc ccnum pan_number cvv cvv2 cvc cvc2 ssn
//	social_security_number pin
//
// Keys is a new slice on every call, so a caller may append rules to it or
// delete some (slices.DeleteFunc) without affecting anyone else.
func DefaultOptions() Options {
	return Options{
		Replacement:  defaultReplacement,
		Keys:         slices.Clone(defaultKeys),
		KeyCacheSize: defaultKeyCacheSize,
	}
}

// Options configures a Redactor and a Handler. Start from DefaultOptions:
// the zero Options has no key rules (only the value patterns mask, and the
// key_value pattern has no keys to look for), masks with the empty string
// and has no key cache. Nil and empty slices mean the same.
type Options struct {
	// Replacement replaces every masked value and every masked part of a
	// string, as it is: the empty string masks with nothing (the value
	// becomes "", the secret part of a string disappears). DefaultOptions
	// sets "[REDACTED]", whose fixed length does not reveal the secret's.
	Replacement string

	// Keys is the whole set of key rules: an attribute whose key matches
	// one has its value masked whole. Nil or empty means no key rules.
	// DefaultOptions sets the built-in rules (listed there). Rules are
	// compared in normalised form (ASCII letters lower-cased, every ASCII
	// byte that is not a letter or digit removed), so "api_key", "api-key"
	// and "apiKey" are the same rule.
	//
	// A rule matches a key when the rule's normalised form equals the
	// normalised concatenation of a run of whole consecutive words anywhere
	// in the key, and the word after the run (if any) is not a counter word
	// (count, used, bucket, limit, len, length, size, ttl, expires, max,
	// ...: token_count and session_ttl name numbers, not secrets). Words are
	// split at separators (any ASCII byte that is not a letter or digit), at
	// a lower-case letter or digit followed by an upper-case letter, and
	// before the last upper-case letter of an acronym followed by a
	// lower-case letter (APIKey is API + Key). So the rule "token" matches
	// token, Token, access_token, X-Auth-Token, token_type and
	// user.token.old, but not tokens_used, token_count or tokenizer; the
	// rule "password" matches db_password_old and userPasswordHash. The
	// rules password, passwd, passphrase, secret, token and apikey also
	// match at the end of a single word, for compounds written without a
	// separator (PGPASSWORD, clientsecret, csrftoken); passwordless does
	// not match.
	Keys []string

	// SafeKeys are whole keys never masked by a key rule, compared in
	// normalised form, for keys that a rule would otherwise catch
	// ("auth_method", "token_type"). Their values are still scanned by the
	// value patterns. The module's own output keys (correlation_id,
	// trace_id, span_id, _sampled, _sample_rate, ...) are always safe and
	// their values are never scanned.
	SafeKeys []string

	// DisablePatterns turns off value patterns by name: "bearer", "basic",
	// "jwt", "card", "aws_access_key", "gcp_api_key", "github_token",
	// "slack_token", "stripe_key", "private_key", "url_password",
	// "key_value" and "custom" (the Patterns below), spelled exactly so.
	// An unknown name is a configuration error: NewRedactor and NewHandler
	// panic with a message listing the valid names.
	//
	// The patterns: bearer masks the credential of "Bearer <credential>"
	// (any case) when it looks like one (at least 8 characters of the
	// RFC 6750 token alphabet with a digit or a symbol, or at least 20);
	// basic the credential of "Basic <base64>" when it decodes to
	// user:password; jwt JSON Web Tokens whose header decodes to a JSON
	// object; card numbers of 13 to 19 digits, optionally grouped by single
	// spaces or dashes, starting with 2 to 6 and passing the Luhn check
	// (also int64, uint64 and whole float64 values); aws_access_key AKIA...
	// and ASIA... IDs; gcp_api_key AIza... keys; github_token ghp_, gho_,
	// ghu_, ghs_, ghr_ and github_pat_ tokens; slack_token xox...- tokens
	// and the path of incoming-webhook URLs; stripe_key sk_live_, sk_test_,
	// rk_live_, rk_test_ and whsec_ secrets; private_key PEM private-key
	// blocks (to the END line, or to the end of a string cut short);
	// url_password the password of scheme://user:password@host, read as a
	// URL parser reads it (the user information ends at the last '@' of
	// the authority); key_value the value in key=value, key: value,
	// "key":"value" and key="value" inside text when the key matches a key
	// rule (form keys read decoded: user[password]=x and
	// user%5Bpassword%5D=x match; after an unquoted key and a colon, the
	// colon must be followed by white space or a quoted value, so
	// tenant:acme:token:abc123 is never altered; a header-style key such as
	// "X-Api-Key: ..." always has its value masked, a lower-case key only a
	// value that looks like a credential, so "invalid token: expired" stays
	// readable). Each masks only the secret part of what it finds.
	DisablePatterns []string

	// Patterns are additional value patterns, applied after the built-in
	// ones to every string that contains their Literal; their masks are
	// counted as PatternCounts.Custom.
	Patterns []CustomPattern

	// KeyCacheSize is the number of keys whose verdict is remembered
	// (rounded up to a power of two, at most 1<<20), in sets of 8: a key is
	// forgotten only when more than 8 keys of its set are in use. Zero (or
	// a negative value, treated as zero) means no cache: every key is
	// judged on every use, correctly, at the cost of an allocation.
	// DefaultOptions sets 4096. Keys longer than 64 bytes are never cached.
	KeyCacheSize int
}
