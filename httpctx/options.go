package httpctx

import (
	"log/slog"

	"github.com/slogstack/slogstack/sampling"
)

// Options configures Middleware. The zero value is a real setting: no
// access record, a policy that samples no request (an error, a panic or a
// 5xx still keeps a request's records), no bodies, panics re-raised, the
// panic record logged through slog.Default(). Start from DefaultOptions.
type Options struct {
	// Logger writes the access and panic records, and is the logger that
	// scope.Logger(ctx) binds to each request. Nil means slog.Default() at
	// the time of each request. For the records to carry correlation_id,
	// its handler chain should include a scope.Handler, as the stack
	// builder arranges.
	Logger *slog.Logger
	// Policy makes each request's sampling decision, from r.URL.Path, the
	// correlation ID and the span context: a sampling.Policy, or a
	// *sampling.PolicyVar whose rules change while the server runs (a
	// request keeps the decision made when it arrived). Nil decides as the
	// zero Policy, which samples no request; DefaultOptions sets
	// sampling.DefaultPolicy().
	Policy sampling.Decider
	// AccessLog logs one access record per request at its end.
	// DefaultOptions sets true.
	AccessLog bool
	// AccessMessage is the message of access records, as given (an empty
	// one is logged empty). DefaultOptions sets "request completed".
	AccessMessage string
	// Body configures body capture in access records; the zero value
	// captures no body.
	Body BodyOptions
	// Recover answers a panic that comes before the header is written
	// with 500 Internal Server Error instead of re-raising it. A panic
	// after the header was written cannot change the status, and the body
	// may be cut short: it is re-raised as http.ErrAbortHandler, so that
	// net/http aborts the connection silently and the client sees the
	// response broken, as without the middleware, never a complete one.
	// After a hijack nothing is answered or re-raised. Either way the
	// panic is logged at ERROR with its stack and keeps the request's
	// records. A panic with http.ErrAbortHandler is always re-raised as is.
	// DefaultOptions leaves it false (panics are re-raised, as net/http
	// expects).
	Recover bool
	// ForceKey is the secret key that forced-sampling tokens are verified
	// with: a request with a valid X-Log-Force token (made with
	// sampling.ForceToken and this key for the request's correlation ID,
	// not expired) is sampled with reason "forced", before every rule of
	// Policy, and the token is passed on by Transport. Only the first
	// X-Log-Force value is read. A malformed, oversized (over 128 bytes),
	// forged, expired or too long-lived token changes nothing (Policy
	// decides) and is counted in Stats().Force; a request without the
	// header is not counted. Nil or empty turns forced sampling off: the
	// header is ignored (counted as NoKey). A key of 1 to 15 bytes is
	// too weak: Middleware panics. Use 32 random bytes; Middleware keeps a
	// copy. It is a secret: do not print or log an Options that holds it.
	ForceKey []byte
}

// DefaultOptions returns the options a service usually wants: the
// sampling.DefaultPolicy, an access record per request with the message
// "request completed", and body capture limited to 4096 bytes per body but
// switched off (set Body.Request or Body.Response to capture). Logger is
// nil (slog.Default()) and Recover false.
func DefaultOptions() Options {
	return Options{
		Policy:        sampling.DefaultPolicy(),
		AccessLog:     true,
		AccessMessage: defaultAccessMessage,
		Body:          BodyOptions{MaxBytes: defaultBodyMaxBytes},
	}
}

// defaultAccessMessage is the access record's message in DefaultOptions.
const defaultAccessMessage = "request completed"
