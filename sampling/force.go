package sampling

import (
	"errors"
	"fmt"
	"time"

	"github.com/slogstack/slogstack/internal/forcetoken"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// ForceToken returns a token that has one request (or queued message)
// logged whole by services configured with key: sent as the X-Log-Force
// header together with X-Correlation-ID: correlationID, it makes the
// request's decision sampled with reason "forced", before every rule of
// the policy, in each service whose middleware (httpctx.Options.ForceKey,
// slogstack's LOG_FORCE_KEY) has the same key; the middleware passes it on
// to the services it calls through httpctx.Transport.
//
// The token is bound to correlationID and refused after expiry (whole
// seconds; the fraction is dropped). It is
// "v1.<expiry Unix seconds>.<base64url of HMAC-SHA256(key, ...)>", under
// 70 bytes. It returns an error, and no token, when key has fewer than 16
// bytes, when correlationID is not one a service accepts (1 to 128 ASCII
// letters, digits, '.', '_', ':' or '-'), or when expiry is not after the
// current second or is more than 24 hours from now: a service refuses a
// token that lives longer, so that a leaked one cannot force logging for
// long.
func ForceToken(key []byte, correlationID string, expiry time.Time) (string, error) {
	if len(key) < forcetoken.MinKeyLen {
		return "", fmt.Errorf("sampling: ForceToken: the key has %d bytes; it must have at least %d", len(key), forcetoken.MinKeyLen)
	}
	if !reqscope.ValidID(correlationID) {
		return "", errors.New("sampling: ForceToken: the correlation ID is not 1 to 128 ASCII letters, digits, '.', '_', ':' or '-'")
	}
	now := time.Now()
	exp := time.Unix(expiry.Unix(), 0)
	if !exp.After(now) {
		return "", fmt.Errorf("sampling: ForceToken: expiry %s is not after now (%s)", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if exp.After(now.Add(forcetoken.MaxLifetime)) {
		return "", fmt.Errorf("sampling: ForceToken: expiry %s is more than %v from now; services refuse such a token", exp.UTC().Format(time.RFC3339), forcetoken.MaxLifetime)
	}
	return forcetoken.Mint(key, correlationID, exp), nil
}
