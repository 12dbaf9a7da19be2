package forcetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	// MaxLen is the longest token considered; a longer one is Invalid
	// before anything else is looked at.
	MaxLen = 128
	// MinKeyLen is the shortest key accepted.
	MinKeyLen = 16
	// MaxLifetime is the longest a token may live: one whose expiry is
	// further from now is Invalid.
	MaxLifetime = 24 * time.Hour

	prefix   = "v1."
	domain   = "slogstack-force-v1\n"
	macBytes = sha256.Size
)

// CheckKey returns key, nil when it is empty, for a field (such as
// "httpctx: Options.ForceKey") where an empty key turns forcing off; it
// panics with a message naming field when key is shorter than MinKeyLen,
// giving its length, never its bytes.
func CheckKey(field string, key []byte) []byte {
	if len(key) == 0 {
		return nil
	}
	if len(key) < MinKeyLen {
		panic(fmt.Sprintf("%s has %d bytes; a key must have at least %d (32 random bytes are best), or be nil to turn forced sampling off",
			field, len(key), MinKeyLen))
	}
	return key
}

// Result is the outcome of Verify.
type Result uint8

const (
	// Accepted: the token was minted with the key for the ID and has not
	// expired.
	Accepted Result = iota
	// Invalid: too long, not of the token's form, or living longer than
	// MaxLifetime from now.
	Invalid
	// Forged: of the right form, but its MAC does not match (another
	// key, another correlation ID, or an altered expiry).
	Forged
	// Expired: genuine, but its expiry has passed.
	Expired
)

// encoding is base64url without padding, rejecting non-canonical forms.
var encoding = base64.RawURLEncoding.Strict()

// Mint returns the token for id expiring at expiry (whole seconds; the
// fraction is dropped). It does not check its arguments: see
// sampling.ForceToken.
func Mint(key []byte, id string, expiry time.Time) string {
	exp := strconv.FormatInt(expiry.Unix(), 10)
	mac := sum(key, id, exp)
	return prefix + exp + "." + encoding.EncodeToString(mac[:])
}

// Verify reports whether token was minted with key for the correlation ID
// id and is still valid at now. key must have at least MinKeyLen bytes
// (callers check it once, when configured).
func Verify(key []byte, token, id string, now time.Time) Result {
	if len(token) > MaxLen {
		return Invalid
	}
	exp, mac, ok := parse(token)
	if !ok {
		return Invalid
	}
	want := sum(key, id, exp)
	if !hmac.Equal(mac[:], want[:]) {
		return Forged
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return Invalid // out of range: parse admitted only digits
	}
	if sec <= now.Unix() {
		return Expired
	}
	if sec > now.Add(MaxLifetime).Unix() {
		return Invalid
	}
	return Accepted
}

// parse splits a token into its expiry (canonical decimal digits) and
// its MAC.
func parse(token string) (exp string, mac [macBytes]byte, ok bool) {
	rest, found := strings.CutPrefix(token, prefix)
	if !found {
		return "", mac, false
	}
	exp, enc, found := strings.Cut(rest, ".")
	if !found || !canonicalDecimal(exp) || len(enc) != encoding.EncodedLen(macBytes) {
		return "", mac, false
	}
	n, err := encoding.Decode(mac[:], []byte(enc))
	if err != nil || n != macBytes {
		return "", mac, false
	}
	return exp, mac, true
}

// canonicalDecimal reports whether s is a positive decimal number of at
// most 19 digits without a leading zero.
func canonicalDecimal(s string) bool {
	if len(s) == 0 || len(s) > 19 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sum returns the token's MAC for id and the expiry as written.
func sum(key []byte, id, exp string) [macBytes]byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(domain))
	h.Write([]byte(id))
	h.Write([]byte{'\n'})
	h.Write([]byte(exp))
	var out [macBytes]byte
	h.Sum(out[:0])
	return out
}
