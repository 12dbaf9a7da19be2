package redact

// DefaultReplacement is the text that replaces a masked value or a masked
// part of a string when Options.Replacement is empty. It has a fixed length,
// so the output does not reveal the length of the secret.
const DefaultReplacement = "[REDACTED]"

// DefaultKeyCacheSize is the number of keys whose verdict is remembered when
// Options.KeyCacheSize is zero.
const DefaultKeyCacheSize = 4096

// maxKeyCacheSize bounds Options.KeyCacheSize.
const maxKeyCacheSize = 1 << 20

// DefaultKeys are the key rules applied unless removed with
// Options.RemoveKeys. Each is compared in normalised form (ASCII letters
// lower-cased, every byte that is not a letter, digit or non-ASCII byte
// removed), so "api_key", "api-key" and "apiKey" are the same rule. The list
// is read when a Redactor is made; to change the rules, use Options rather
// than modifying it.
var DefaultKeys = []string{
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

// Options configures a Redactor and a Handler. The zero value gives the
// documented defaults: DefaultKeys, every Pattern, DefaultReplacement and a
// key cache of DefaultKeyCacheSize entries.
type Options struct {
	// Replacement replaces every masked value and every masked part of a
	// string. Empty means DefaultReplacement.
	Replacement string

	// Keys are key rules added to DefaultKeys (or to nothing when
	// NoDefaultKeys is set).
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

	// RemoveKeys are rules taken out of DefaultKeys and Keys, compared in
	// normalised form ("session-id" removes "session_id").
	RemoveKeys []string

	// SafeKeys are whole keys never masked by a key rule, compared in
	// normalised form, for keys that a rule would otherwise catch
	// ("auth_method", "token_type"). Their values are still scanned by the
	// value patterns. The module's own output keys (correlation_id,
	// trace_id, span_id, _sampled, _sample_rate, ...) are always safe and
	// their values are never scanned.
	SafeKeys []string

	// NoDefaultKeys starts from an empty rule set instead of DefaultKeys.
	NoDefaultKeys bool

	// DisablePatterns turns off individual value patterns.
	DisablePatterns []Pattern

	// Patterns are additional value patterns, applied after the built-in
	// ones to every string that contains their Literal.
	Patterns []CustomPattern

	// KeyCacheSize is the number of keys whose verdict is remembered
	// (rounded up to a power of two, at most 1<<20), in sets of 8: a key is
	// forgotten only when more than 8 keys of its set are in use. Zero
	// means DefaultKeyCacheSize; a negative value turns the cache off. Keys
	// longer than 64 bytes are never cached. A key that is not cached is
	// judged again, correctly, at the cost of an allocation.
	KeyCacheSize int
}
