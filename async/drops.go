package async

import (
	"bytes"
	"log/slog"
	"time"
)

// dropReportMessage is the message of the in-band drop report; the
// package documentation describes the report.
const dropReportMessage = "async: records dropped"

// dropTally accumulates drops between two reports.
type dropTally struct {
	n           [numBands]uint64
	bytes       uint64
	first, last time.Time
	// lastRaw holds the time text of the newest dropped Writer line; it is
	// parsed only when the tally is taken, not on every drop.
	lastRaw    [48]byte
	lastRawLen int
}

func (t *dropTally) count() uint64 {
	var s uint64
	for _, n := range t.n {
		s += n
	}
	return s
}

// addRecord counts a dropped record of the Handler.
func (t *dropTally) addRecord(l slog.Level, at time.Time) {
	if t.count() == 0 || at.Before(t.first) {
		t.first = at
	}
	if at.After(t.last) {
		t.last = at
	}
	t.n[bandOf(l)]++
}

// addLine counts a dropped line of the Writer.
func (t *dropTally) addLine(b band, rawTime []byte, size int) {
	if len(rawTime) > 0 {
		if t.count() == 0 {
			t.first = parseLineTime(rawTime)
		}
		t.lastRawLen = copy(t.lastRaw[:], rawTime)
	}
	t.n[b]++
	t.bytes += uint64(size)
}

// settle parses the deferred time of the newest dropped line.
func (t *dropTally) settle() {
	if t.lastRawLen > 0 {
		t.last = parseLineTime(t.lastRaw[:t.lastRawLen])
		t.lastRawLen = 0
	}
}

// moveTo adds t to dst (t being newer than dst) and clears t.
func (t *dropTally) moveTo(dst *dropTally) {
	if t.count() == 0 {
		return
	}
	t.settle()
	if dst.count() == 0 || (!t.first.IsZero() && t.first.Before(dst.first)) || dst.first.IsZero() {
		dst.first = t.first
	}
	if t.last.After(dst.last) {
		dst.last = t.last
	}
	for i := range t.n {
		dst.n[i] += t.n[i]
	}
	dst.bytes += t.bytes
	*t = dropTally{}
}

// attrs returns the attributes of a drop report for t.
func (t *dropTally) attrs(withBytes bool) []slog.Attr {
	levels := []slog.Attr{
		slog.Uint64("DEBUG", t.n[bandDebug]),
		slog.Uint64("INFO", t.n[bandInfo]),
		slog.Uint64("WARN", t.n[bandWarn]),
		slog.Uint64("ERROR", t.n[bandError]),
	}
	if t.n[bandUnknown] > 0 {
		levels = append(levels, slog.Uint64("UNKNOWN", t.n[bandUnknown]))
	}
	out := []slog.Attr{
		slog.Uint64("dropped", t.count()),
		{Key: "dropped_by_level", Value: slog.GroupValue(levels...)},
	}
	if withBytes {
		out = append(out, slog.Uint64("dropped_bytes", t.bytes))
	}
	if !t.first.IsZero() {
		out = append(out, slog.Time("first_dropped", t.first))
	}
	if !t.last.IsZero() {
		out = append(out, slog.Time("last_dropped", t.last))
	}
	return out
}

// lineScanLimit bounds how far into a line the Writer looks for its level
// and time, so a dropped line costs a bounded scan whatever its length.
const lineScanLimit = 256

var (
	jsonLevelKey = []byte(`"level":"`)
	jsonTimeKey  = []byte(`"time":"`)
	textLevelKey = []byte("level=")
	textTimeKey  = []byte("time=")
)

// scanLine finds the level band and the raw time text of a JSON or text
// line as slog's handlers write them. It returns bandUnknown and nil when
// it cannot find them.
func scanLine(p []byte) (band, []byte) {
	head := p[:min(len(p), lineScanLimit)]
	if raw, rest, ok := jsonHead(head); ok {
		return bandOfName(rest), raw
	}
	b, raw := lineBand(head), []byte(nil)
	if i := bytes.Index(head, jsonTimeKey); i >= 0 {
		rest := head[i+len(jsonTimeKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			raw = rest[:j]
		}
	} else if i := bytes.Index(head, textTimeKey); i >= 0 {
		rest := head[i+len(textTimeKey):]
		if j := bytes.IndexByte(rest, ' '); j >= 0 {
			raw = rest[:j]
		}
	}
	return b, raw
}

// lineBand returns the level band of a JSON or text line as slog's
// handlers write it, reading at most lineScanLimit bytes, or bandUnknown.
func lineBand(p []byte) band {
	head := p[:min(len(p), lineScanLimit)]
	if _, rest, ok := jsonHead(head); ok {
		return bandOfName(rest)
	}
	if i := bytes.Index(head, jsonLevelKey); i >= 0 {
		return bandOfName(head[i+len(jsonLevelKey):])
	}
	if i := bytes.Index(head, textLevelKey); i >= 0 {
		return bandOfName(head[i+len(textLevelKey):])
	}
	return bandUnknown
}

// jsonLinePrefix and jsonLevelAfterTime are how a JSON handler's line
// starts: {"time":"…","level":"…
var (
	jsonLinePrefix     = []byte(`{"time":"`)
	jsonLevelAfterTime = []byte(`","level":"`)
)

// jsonHead reads a JSON line that starts as slog's and the library's
// JSON handlers write it, its time first then its level, without
// searching the line: it returns the time's text and what follows the
// "level" key. The time value holds no quote, so the first quote after
// it must open the level key. That "time":" and "level":" are then the
// first in the line (the prefix and the time value cannot hold another),
// so the results are the ones a search finds. It reports false for any
// other line.
func jsonHead(head []byte) (rawTime, level []byte, ok bool) {
	if !bytes.HasPrefix(head, jsonLinePrefix) {
		return nil, nil, false
	}
	j := bytes.IndexByte(head[len(jsonLinePrefix):], '"')
	if j < 0 {
		return nil, nil, false
	}
	rest := head[len(jsonLinePrefix)+j:]
	if !bytes.HasPrefix(rest, jsonLevelAfterTime) {
		return nil, nil, false
	}
	return head[len(jsonLinePrefix) : len(jsonLinePrefix)+j], rest[len(jsonLevelAfterTime):], true
}

func bandOfName(s []byte) band {
	switch {
	case bytes.HasPrefix(s, []byte("DEBUG")):
		return bandDebug
	case bytes.HasPrefix(s, []byte("INFO")):
		return bandInfo
	case bytes.HasPrefix(s, []byte("WARN")):
		return bandWarn
	case bytes.HasPrefix(s, []byte("ERROR")):
		return bandError
	default:
		return bandUnknown
	}
}

func parseLineTime(raw []byte) time.Time {
	t, err := time.Parse(time.RFC3339Nano, string(raw))
	if err != nil {
		return time.Time{}
	}
	return t
}
