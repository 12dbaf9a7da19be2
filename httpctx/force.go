package httpctx

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/forcetoken"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// forcedDecision is the decision of a request with a valid forced-sampling
// token.
var forcedDecision = reqscope.Decision{Sampled: true, Rate: 1, Reason: reqscope.ReasonForced}

// checkForceKey returns a copy of key (nil when it is empty) and panics
// when it is too short to be a key.
func checkForceKey(key []byte) []byte {
	if len(key) == 0 {
		return nil
	}
	if len(key) < forcetoken.MinKeyLen {
		panic(fmt.Sprintf("httpctx: Options.ForceKey has %d bytes; a key must have at least %d (32 random bytes are best), or be nil to turn forced sampling off",
			len(key), forcetoken.MinKeyLen))
	}
	return slices.Clone(key)
}

// forceToken returns the X-Log-Force token of h when it is valid for the
// correlation ID id at now, else "", counting the header's outcome.
func (m *middleware) forceToken(h http.Header, id string, now time.Time) string {
	vs := h[headerForce]
	if len(vs) == 0 {
		return ""
	}
	if m.opts.ForceKey == nil {
		m.stats.force.noKey.Add(1)
		return ""
	}
	res := forcetoken.Verify(m.opts.ForceKey, vs[0], id, now)
	m.stats.force.add(res)
	if res != forcetoken.Accepted {
		return ""
	}
	return vs[0]
}

// forceCounters is the live form of ForceCounts.
type forceCounters struct {
	accepted, invalid, forged, expired, noKey atomic.Uint64
}

func (c *forceCounters) add(res forcetoken.Result) {
	switch res {
	case forcetoken.Accepted:
		c.accepted.Add(1)
	case forcetoken.Forged:
		c.forged.Add(1)
	case forcetoken.Expired:
		c.expired.Add(1)
	default:
		c.invalid.Add(1)
	}
}

func (c *forceCounters) load() ForceCounts {
	return ForceCounts{
		Accepted: c.accepted.Load(),
		Invalid:  c.invalid.Load(),
		Forged:   c.forged.Load(),
		Expired:  c.expired.Load(),
		NoKey:    c.noKey.Load(),
	}
}
