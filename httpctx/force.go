package httpctx

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/forcetoken"
)

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
