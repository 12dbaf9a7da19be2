// Package forcetoken mints and verifies the forced-sampling tokens an
// operator sends in the X-Log-Force header (or a message's X-Log-Force
// key) to have one unit of work logged whole.
//
// A token is
//
//	v1.<expiry>.<mac>
//
// where expiry is the Unix time in seconds, in decimal, after which the
// token is refused, and mac is the HMAC-SHA256 under the service's key of
// "slogstack-force-v1\n" + correlation ID + "\n" + expiry, in base64url
// without padding. A token is bound to one correlation ID and lives at
// most MaxLifetime, so a leaked one forces little, for little time.
// Verification checks the length first, then the form, the MAC (in
// constant time, hmac.Equal), then the expiry.
//
// sampling.ForceToken mints tokens for users; httpctx's Middleware and
// scope.Start verify them.
package forcetoken
