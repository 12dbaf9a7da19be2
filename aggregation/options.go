package aggregation

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// The values DefaultOptions sets, and that a zero field of Options takes
// where its zero has no meaning of its own.
const (
	defaultBurst         = 5
	defaultBurstWindow   = time.Second
	defaultWindow        = 10 * time.Second
	defaultMaxCount      = 1000
	defaultMaxGroups     = 1000
	defaultFlushInterval = 500 * time.Millisecond
	minFlushInterval     = time.Millisecond // a shorter ticker would spin
	defaultMaxValueBytes = 1024
	defaultMaxAttrBytes  = 6 * 1024
)

// markerKey and markerValue form the attribute System returns.
const (
	markerKey   = "log.kind"
	markerValue = "system"
)

// System returns the attribute log.kind=system, which marks a record as a
// system record whatever its message and whatever Options.Match says. It
// marks a record when passed to the log call or to Logger.With, before or
// after any Logger.WithGroup, or inside a slog.Group with an empty key
// (which handlers inline); a LogValuer resolving to the string "system"
// under the key "log.kind" marks it too. Inside a named slog.Group value it
// is the caller's data, not a marker. The attribute stays in the output.
//
//	poolLog := logger.With(aggregation.System())
//	poolLog.Debug("pool stats", "open", 12)
func System() slog.Attr { return slog.String(markerKey, markerValue) }

// defaultPrefixes are the message prefixes of DefaultOptions().Match.
func defaultPrefixes() []string {
	return []string{"Connection pool size", "Health check completed", "Metric recorded"}
}

// A Matcher reports whether a record is a system record that may be folded.
// It sees the record as logged, without the attributes added with
// Logger.With; the System marker is checked separately, in both places. It
// must be safe for concurrent use and must not retain or modify r. If it
// panics, the panic is recovered and counted in Stats.HandlePanics, and
// the record is passed on as not matched.
type Matcher func(ctx context.Context, r slog.Record) bool

// MatchPrefixes returns a Matcher that selects records whose message starts
// with one of prefixes. An empty prefix matches every message; no prefixes
// match none (the System marker still selects). The prefixes are copied.
//
//go:noinline
func MatchPrefixes(prefixes ...string) Matcher {
	// Never inlined, so that every Matcher it returns has the same code
	// (readsMessageOnly).
	ps := append([]string(nil), prefixes...)
	return func(_ context.Context, r slog.Record) bool {
		return hasAnyPrefix(r.Message, ps)
	}
}

// prefixMatcherCode is the code of every Matcher MatchPrefixes returns.
var prefixMatcherCode = reflect.ValueOf(MatchPrefixes()).Pointer()

// readsMessageOnly reports whether m is known to read nothing of a record
// but its message: a Matcher returned by MatchPrefixes. It may say false
// for such a Matcher (the caller then treats it as any Matcher), never
// true for another.
func readsMessageOnly(m Matcher) bool {
	return m != nil && reflect.ValueOf(m).Pointer() == prefixMatcherCode
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

// Options configure a Handler. Start from DefaultOptions: in the zero
// value, Match is nil (only records carrying the System marker are system
// records) and Burst is 0 (every system record is folded from the first
// one); every other zero field takes the value DefaultOptions sets, as its
// doc says. A negative number is treated as zero.
type Options struct {
	// Match selects system records. Nil selects none by message: only
	// records carrying the System marker are system records. Records
	// carrying the marker are system records whatever Match says; records
	// at ERROR or above never are. DefaultOptions sets
	// MatchPrefixes("Connection pool size", "Health check completed",
	// "Metric recorded").
	Match Matcher

	// Burst is the number of records of a group passed individually per
	// BurstWindow before the group's records are folded. Zero folds every
	// system record from the first one. DefaultOptions sets 5.
	Burst int

	// BurstWindow is the period Burst counts records in, starting at the
	// first record of the period. Zero means 1 second, as DefaultOptions
	// sets.
	BurstWindow time.Duration

	// Window is the longest period one summary covers: a summary is written
	// at the latest when its first folded record is Window old, by the next
	// record of its group or by the background flusher, which writes the
	// summaries whose window would end before its next tick. Zero means 10
	// seconds, as DefaultOptions sets.
	Window time.Duration

	// MaxCount is the number of records after which a summary is written at
	// once. Zero means 1000, as DefaultOptions sets.
	MaxCount int

	// MaxGroups bounds the group cache; past it the least recently used
	// group is evicted and its open summary written. Zero means 1000, as
	// DefaultOptions sets.
	MaxGroups int

	// FlushInterval is how often the background flusher runs: it writes
	// the summaries whose window ends before its next run and drops groups
	// idle for a whole Window. The summary of a group that went quiet is
	// written between Window - FlushInterval and Window after its first
	// folded record, as punctually as the flusher's ticker. Zero means
	// 500 ms, as DefaultOptions sets; a value under 1 ms counts as 1 ms,
	// so that the flusher never spins.
	FlushInterval time.Duration

	// MaxValueBytes bounds each value held for a summary, and the
	// summary's message: a longer string is cut on a UTF-8 boundary and
	// ends in "…"; another value whose JSON or text is longer is cut too (a
	// JSON object or array to its first members, anything else to its
	// text). Zero means 1 KiB, as DefaultOptions sets.
	MaxValueBytes int

	// MaxAttrBytes bounds the attributes held for a summary: each costs the
	// larger of its estimated JSON size and the memory it holds, and
	// attributes past the bound are left out. A summary whose attributes
	// were cut or left out carries _truncated=true. Attributes added with
	// Logger.With are rendered by the next handler and not counted. Zero
	// means 6 KiB, as DefaultOptions sets.
	MaxAttrBytes int
}

// DefaultOptions returns the recommended options: the three default message
// prefixes and the System marker select system records, 5 records of a
// group pass per second, summaries cover at most 10 seconds or 1000
// records, the cache holds at most 1000 groups, the flusher runs every
// 500 ms, held values are cut at 1 KiB and a summary's attributes at 6 KiB.
func DefaultOptions() Options {
	return Options{
		Match:         MatchPrefixes(defaultPrefixes()...),
		Burst:         defaultBurst,
		BurstWindow:   defaultBurstWindow,
		Window:        defaultWindow,
		MaxCount:      defaultMaxCount,
		MaxGroups:     defaultMaxGroups,
		FlushInterval: defaultFlushInterval,
		MaxValueBytes: defaultMaxValueBytes,
		MaxAttrBytes:  defaultMaxAttrBytes,
	}
}

// config is Options with every zero or negative field resolved.
type config struct {
	match Matcher // nil: the marker alone selects
	// matchMessageOnly says that match reads the message alone, so a
	// record need not be rebuilt with its tail for it (HandleTail).
	matchMessageOnly bool
	burst            int
	burstWindow      time.Duration
	window           time.Duration
	maxCount         int
	maxGroups        int
	flushInterval    time.Duration
	maxValueBytes    int
	maxAttrBytes     int
}

func (o Options) config() config {
	return config{
		match:            o.Match,
		matchMessageOnly: readsMessageOnly(o.Match),
		burst:            max(o.Burst, 0),
		burstWindow:      positiveOr(o.BurstWindow, defaultBurstWindow),
		window:           positiveOr(o.Window, defaultWindow),
		maxCount:         positiveOr(o.MaxCount, defaultMaxCount),
		maxGroups:        positiveOr(o.MaxGroups, defaultMaxGroups),
		flushInterval:    max(positiveOr(o.FlushInterval, defaultFlushInterval), minFlushInterval),
		maxValueBytes:    positiveOr(o.MaxValueBytes, defaultMaxValueBytes),
		maxAttrBytes:     positiveOr(o.MaxAttrBytes, defaultMaxAttrBytes),
	}
}

// positiveOr returns v if it is positive and def otherwise.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
