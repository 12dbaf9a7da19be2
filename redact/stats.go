package redact

import (
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/counter"
)

// Stats are the counters of a Handler or a Redactor, read with atomic loads;
// reading them is safe at any time and never blocks logging. A Handler and
// every handler derived from it with With or WithGroup share one set.
type Stats struct {
	// Records is the number of records the Handler handled (always 0 for
	// a Redactor used on its own).
	Records uint64
	// RecordsChanged is the number of those records in which something was
	// masked (in the message or in an attribute, not counting attributes
	// bound with With, which were masked once, when they were bound).
	RecordsChanged uint64
	// KeyMasked is the number of attribute values masked whole because
	// their key matched a key rule, including attributes bound with With
	// and leaves of groups opened with a secret WithGroup name.
	KeyMasked uint64
	// Patterns counts the occurrences masked by each value pattern.
	Patterns PatternCounts
	// KeyCacheHits and KeyCacheMisses count lookups of the key-verdict
	// cache. A miss computes the verdict and stores it.
	KeyCacheHits   uint64
	KeyCacheMisses uint64
}

// PatternCounts holds one counter per value pattern, named as in
// Options.DisablePatterns (Custom counts the masks of Options.Patterns).
type PatternCounts struct {
	Bearer       uint64
	Basic        uint64
	JWT          uint64
	Card         uint64
	AWSAccessKey uint64
	GCPAPIKey    uint64
	GitHubToken  uint64
	SlackToken   uint64
	StripeKey    uint64
	PrivateKey   uint64
	URLPassword  uint64
	KeyValue     uint64
	Custom       uint64
}

// field returns the counter of pattern p, or nil for an unknown pattern.
func (c *PatternCounts) field(p pattern) *uint64 {
	switch p {
	case patBearer:
		return &c.Bearer
	case patBasic:
		return &c.Basic
	case patJWT:
		return &c.JWT
	case patCard:
		return &c.Card
	case patAWSAccessKey:
		return &c.AWSAccessKey
	case patGCPAPIKey:
		return &c.GCPAPIKey
	case patGitHubToken:
		return &c.GitHubToken
	case patSlackToken:
		return &c.SlackToken
	case patStripeKey:
		return &c.StripeKey
	case patPrivateKey:
		return &c.PrivateKey
	case patURLPassword:
		return &c.URLPassword
	case patKeyValue:
		return &c.KeyValue
	case patCustom:
		return &c.Custom
	}
	return nil
}

// get returns the counter of pattern p, or 0 for an unknown pattern.
func (c PatternCounts) get(p pattern) uint64 {
	if f := c.field(p); f != nil {
		return *f
	}
	return 0
}

// Total returns the sum of all pattern counters.
func (c PatternCounts) Total() uint64 {
	var n uint64
	for p := pattern(0); p < numPatterns; p++ {
		n += c.get(p)
	}
	return n
}

// counters are the shared counters behind Stats. Those a record without
// secrets touches (records, cache lookups), and those every record with
// one touches (recordsChanged, keyMasked), are sharded, so that parallel
// callers do not bounce one cache line between cores; the pattern counters,
// added to only when a pattern matched, are plain atomics.
type counters struct {
	records        counter.Counter
	recordsChanged counter.Counter
	keyMasked      counter.Counter
	patterns       [numPatterns]atomic.Uint64
	cacheHits      counter.Counter
	cacheMisses    counter.Counter
}

// tally collects the counts of one operation (one record, one WithAttrs,
// one RedactString) on the stack; flush adds them to the shared counters
// with one atomic add per non-zero counter.
type tally struct {
	keyMasked   uint32
	cacheHits   uint32
	cacheMisses uint32
	anyPattern  bool
	patterns    [numPatterns]uint32
}

// masked reports whether anything was masked.
func (t *tally) masked() bool { return t.keyMasked > 0 || t.anyPattern }

func (c *counters) flush(t *tally) {
	if t.cacheHits > 0 {
		c.cacheHits.Add(uint64(t.cacheHits))
	}
	if t.cacheMisses > 0 {
		c.cacheMisses.Add(uint64(t.cacheMisses))
	}
	if t.keyMasked > 0 {
		c.keyMasked.Add(uint64(t.keyMasked))
	}
	if t.anyPattern {
		for i, n := range t.patterns {
			if n > 0 {
				c.patterns[i].Add(uint64(n))
			}
		}
	}
}

// flushRecord adds the counts of the record tallied in t, then counts the
// record as changed when something in it was masked: its masks are counted
// before it is, so that with stats reading RecordsChanged first a Stats
// never shows more records changed than masks counted.
func (c *counters) flushRecord(t *tally) {
	c.flush(t)
	if t.masked() {
		c.recordsChanged.Add(1)
	}
}

// stats reads the counters. RecordsChanged is read before Records, which a
// record adds to first, and before the masks, which a changed record adds
// to before it is counted as changed (see flushRecord), so that a Stats
// taken while records are handled never shows more records changed than
// handled, nor more than the masks counted.
func (c *counters) stats() Stats {
	changed := c.recordsChanged.Load()
	s := Stats{
		Records:        c.records.Load(),
		RecordsChanged: changed,
		KeyMasked:      c.keyMasked.Load(),
		KeyCacheHits:   c.cacheHits.Load(),
		KeyCacheMisses: c.cacheMisses.Load(),
	}
	for p := range pattern(numPatterns) {
		*s.Patterns.field(p) = c.patterns[p].Load()
	}
	return s
}

// add adds the counts of o to t.
func (t *tally) add(o *tally) {
	t.keyMasked += o.keyMasked
	t.cacheHits += o.cacheHits
	t.cacheMisses += o.cacheMisses
	if o.anyPattern {
		t.addHits(&o.patterns)
	}
}
