package aggregation

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// Default values used for the zero fields of Options.
const (
	DefaultBurst         = 5
	DefaultBurstWindow   = time.Second
	DefaultWindow        = 10 * time.Second
	DefaultMaxCount      = 1000
	DefaultMaxGroups     = 1000
	DefaultFlushInterval = 500 * time.Millisecond
	DefaultMaxValueBytes = 1024
	DefaultMaxAttrBytes  = 6 * 1024
)

// MarkerKey and MarkerValue form the attribute that marks a record as a
// system record whatever its message: MarkerKey set to the string
// MarkerValue (or to a LogValuer resolving to it), passed to the log call
// or to Logger.With, before or after any Logger.WithGroup, or inside a
// slog.Group with an empty key (which handlers inline). It is not a marker
// inside a named slog.Group value: that is the caller's data. The
// attribute stays in the output.
const (
	MarkerKey   = "log.kind"
	MarkerValue = "system"
)

// System returns the marker attribute, log.kind=system. Records that carry
// it, on the call or through Logger.With, under any Logger.WithGroup, are
// system records:
//
//	poolLog := logger.With(aggregation.System())
//	poolLog.Debug("pool stats", "open", 12)
func System() slog.Attr { return slog.String(MarkerKey, MarkerValue) }

// DefaultPrefixes returns the message prefixes that select system records
// when Options.Prefixes is nil: "Connection pool size", "Health check
// completed" and "Metric recorded". It returns a new slice on every call.
func DefaultPrefixes() []string {
	return []string{"Connection pool size", "Health check completed", "Metric recorded"}
}

// A Matcher reports whether a record is a system record that may be folded.
// It sees the record as logged, without the attributes added with
// Logger.With; the System marker is checked separately, in both places. It
// must be safe for concurrent use and must not retain or modify r.
type Matcher func(ctx context.Context, r slog.Record) bool

// MatchPrefixes returns a Matcher that selects records whose message starts
// with one of prefixes. An empty prefix matches every message.
func MatchPrefixes(prefixes ...string) Matcher {
	ps := append([]string(nil), prefixes...)
	return func(_ context.Context, r slog.Record) bool {
		return hasAnyPrefix(r.Message, ps)
	}
}

// hasAnyPrefix reports whether msg starts with one of prefixes.
func hasAnyPrefix(msg string, prefixes []string) bool {
	for _, p := range prefixes {
		// Comparing the first byte first skips the call that compares
		// the rest for most messages.
		if len(p) == 0 || len(msg) >= len(p) && msg[0] == p[0] && strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// Options configure a Handler. The zero value gives the documented defaults:
// the default prefixes and the marker select system records, 5 records of a
// group pass per second, summaries cover at most 10 seconds or 1000 records,
// the cache holds at most 1000 groups.
type Options struct {
	// Match selects system records. Nil selects records whose message starts
	// with one of Prefixes. Records carrying the System marker are system
	// records whatever Match says; records at ERROR or above never are.
	Match Matcher

	// Prefixes are the message prefixes of system records used when Match
	// is nil. Nil means DefaultPrefixes(); an empty, non-nil slice selects
	// records by the marker only.
	Prefixes []string

	// Burst is the number of records of a group passed individually per
	// BurstWindow before the group's records are folded. Zero or negative
	// means DefaultBurst (5).
	Burst int

	// BurstWindow is the period Burst counts records in, starting at the
	// first record of the period. Zero or negative means DefaultBurstWindow
	// (1 second).
	BurstWindow time.Duration

	// Window is the longest period one summary covers: a summary is written
	// at the latest when its first folded record is Window old, by the next
	// record of its group or by the background flusher, which writes the
	// summaries whose window would end before its next tick. Zero or
	// negative means DefaultWindow (10 seconds).
	Window time.Duration

	// MaxCount is the number of records after which a summary is written at
	// once. Zero or negative means DefaultMaxCount (1000).
	MaxCount int

	// MaxGroups bounds the group cache; past it the least recently used
	// group is evicted and its open summary written. Zero or negative means
	// DefaultMaxGroups (1000).
	MaxGroups int

	// FlushInterval is how often the background flusher runs: it writes
	// the summaries whose window ends before its next run and drops groups
	// idle for a whole Window. The summary of a group that went quiet is
	// written between Window - FlushInterval and Window after its first
	// folded record, as punctually as the flusher's ticker. Zero or
	// negative means DefaultFlushInterval (500 ms).
	FlushInterval time.Duration

	// MaxValueBytes bounds each value held for a summary, and the
	// summary's message: a longer string is cut on a UTF-8 boundary and
	// ends in "…"; another value whose JSON or text is longer is cut too (a
	// JSON object or array to its first members, anything else to its
	// text). Zero or negative means DefaultMaxValueBytes (1 KiB).
	MaxValueBytes int

	// MaxAttrBytes bounds the attributes held for a summary: each costs the
	// larger of its estimated JSON size and the memory it holds, and
	// attributes past the bound are left out. A summary whose attributes
	// were cut or left out carries _truncated=true. Attributes added with
	// Logger.With are rendered by the next handler and not counted. Zero or
	// negative means DefaultMaxAttrBytes (6 KiB).
	MaxAttrBytes int

	// Now is the clock of burst periods, windows, _first_occurrence,
	// _last_occurrence and the summaries' own time. Nil means that each
	// record is dated by its own time (Record.Time, which slog.Logger sets;
	// time.Now for a record without one) and everything else by time.Now.
	// Tests use it to control time.
	Now func() time.Time

	// newTicker replaces time.NewTicker for the flusher in tests.
	newTicker func(time.Duration) ticker
	// afterTick is called by the flusher after each tick in tests.
	afterTick func()
}

// config is Options with every default applied.
type config struct {
	match Matcher // nil when prefixes select system records
	// prefixes are the message prefixes that select system records when
	// Options.Match is nil, tested by the handler without calling a
	// Matcher (which would copy the record).
	prefixes      []string
	burst         int
	burstWindow   time.Duration
	window        time.Duration
	maxCount      int
	maxGroups     int
	flushInterval time.Duration
	maxValueBytes int
	maxAttrBytes  int
	now           func() time.Time
	recordTime    bool // date records by Record.Time: Options.Now is nil
	newTicker     func(time.Duration) ticker
	afterTick     func()
}

func (o Options) config() config {
	c := config{
		match:         o.Match,
		burst:         o.Burst,
		burstWindow:   o.BurstWindow,
		window:        o.Window,
		maxCount:      o.MaxCount,
		maxGroups:     o.MaxGroups,
		flushInterval: o.FlushInterval,
		maxValueBytes: o.MaxValueBytes,
		maxAttrBytes:  o.MaxAttrBytes,
		now:           o.Now,
		newTicker:     o.newTicker,
		afterTick:     o.afterTick,
	}
	if c.match == nil {
		if o.Prefixes == nil {
			c.prefixes = DefaultPrefixes()
		} else {
			c.prefixes = append([]string{}, o.Prefixes...)
		}
	}
	if c.burst <= 0 {
		c.burst = DefaultBurst
	}
	if c.burstWindow <= 0 {
		c.burstWindow = DefaultBurstWindow
	}
	if c.window <= 0 {
		c.window = DefaultWindow
	}
	if c.maxCount <= 0 {
		c.maxCount = DefaultMaxCount
	}
	if c.maxGroups <= 0 {
		c.maxGroups = DefaultMaxGroups
	}
	if c.flushInterval <= 0 {
		c.flushInterval = DefaultFlushInterval
	}
	if c.maxValueBytes <= 0 {
		c.maxValueBytes = DefaultMaxValueBytes
	}
	if c.maxAttrBytes <= 0 {
		c.maxAttrBytes = DefaultMaxAttrBytes
	}
	if c.now == nil {
		c.now = time.Now
		c.recordTime = true
	}
	if c.newTicker == nil {
		c.newTicker = newRealTicker
	}
	return c
}
