package aggregation

import (
	"context"
	"log/slog"
	"time"
)

// Keys of the attributes a summary adds to its group's record (documented
// on the package).
const (
	keyAggregated      = "_aggregated"       // true
	keyCount           = "_count"            // records folded into the summary
	keyFirstOccurrence = "_first_occurrence" // time of the first folded record
	keyLastOccurrence  = "_last_occurrence"  // time of the last folded record
	keyWindowSeconds   = "_window_seconds"   // Options.Window in seconds
	keyTruncated       = "_truncated"        // true when held values were cut
)

// occurrenceLayout is the layout of _first_occurrence and _last_occurrence:
// RFC 3339 with nine fractional digits, always present (documented on the
// package).
const occurrenceLayout = "2006-01-02T15:04:05.000000000Z07:00"

// ellipsis ends a value that was cut.
const ellipsis = "…"

// summary is the open summary of a group: the copy of its first folded
// record and the counts. It belongs to its group's shard while open and to
// the goroutine that took it once closed.
type summary struct {
	seq   uint64          // order of opening, to write summaries closed together in that order
	ctx   context.Context // the first folded record's context, without its cancellation
	next  slog.Handler    // the chain the first folded record was logged on
	rec   frozen
	first time.Time // the earliest time of a folded record
	last  time.Time // the latest time of a folded record
	count int
}

// summaryOverhead approximates the memory of a summary beyond its frozen
// record: the struct and the context wrapper.
const summaryOverhead = 160

// covers reports whether folding a record dated t keeps the summary's span
// (its latest time minus its earliest) shorter than window. Records may
// arrive in any order of their times.
func (s *summary) covers(t time.Time, window time.Duration) bool {
	first, last := s.first, s.last
	if t.Before(first) {
		first = t
	}
	if t.After(last) {
		last = t
	}
	return last.Sub(first) < window
}

// fold counts one more record, dated t.
func (s *summary) fold(t time.Time) {
	s.count++
	if t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
}

// heapBytes is the memory the summary holds.
func (s *summary) heapBytes() int64 { return int64(s.rec.heapBytes + summaryOverhead) }

// record builds the summary record, dated now.
func (s *summary) record(now time.Time, window time.Duration) slog.Record {
	r := slog.NewRecord(now, s.rec.level, s.rec.msg, s.rec.pc)
	r.AddAttrs(s.rec.attrs...)
	r.AddAttrs(
		slog.Bool(keyAggregated, true),
		slog.Int(keyCount, s.count),
		slog.String(keyFirstOccurrence, s.first.Format(occurrenceLayout)),
		slog.String(keyLastOccurrence, s.last.Format(occurrenceLayout)),
		slog.Float64(keyWindowSeconds, window.Seconds()),
	)
	if s.rec.truncated {
		r.AddAttrs(slog.Bool(keyTruncated, true))
	}
	return r
}
