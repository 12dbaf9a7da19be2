package aggregation

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Keys of the attributes a summary adds to its group's record.
const (
	KeyAggregated      = "_aggregated"       // true
	KeyCount           = "_count"            // records folded into the summary
	KeyFirstOccurrence = "_first_occurrence" // time of the first folded record
	KeyLastOccurrence  = "_last_occurrence"  // time of the last folded record
	KeyWindowSeconds   = "_window_seconds"   // Options.Window in seconds
	KeyTruncated       = "_truncated"        // true when held values were cut
)

// OccurrenceLayout is the layout of _first_occurrence and _last_occurrence:
// RFC 3339 with nine fractional digits, always present.
const OccurrenceLayout = "2006-01-02T15:04:05.000000000Z07:00"

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
	first time.Time
	last  time.Time
	count int
}

// record builds the summary record, dated now.
func (s *summary) record(now time.Time, window time.Duration) slog.Record {
	r := slog.NewRecord(now, s.rec.level, s.rec.msg, s.rec.pc)
	r.AddAttrs(s.rec.attrs...)
	r.AddAttrs(
		slog.Bool(KeyAggregated, true),
		slog.Int(KeyCount, s.count),
		slog.String(KeyFirstOccurrence, s.first.Format(OccurrenceLayout)),
		slog.String(KeyLastOccurrence, s.last.Format(OccurrenceLayout)),
		slog.Float64(KeyWindowSeconds, window.Seconds()),
	)
	if s.rec.truncated {
		r.AddAttrs(slog.Bool(KeyTruncated, true))
	}
	return r
}

// frozen is the copy of a record held for a summary: it shares no memory
// with the logged record, holds no value the caller can still mutate, and
// is bounded in size.
type frozen struct {
	msg       string
	level     slog.Level
	pc        uintptr
	attrs     []slog.Attr
	truncated bool
	heapBytes int // approximate memory held
}

// freeze copies r for a summary, cutting values past maxValue bytes and
// leaving out attributes past maxAttr estimated JSON bytes.
func freeze(r slog.Record, maxValue, maxAttr int) frozen {
	maxValue, maxAttr = max(maxValue, 0), max(maxAttr, 0)
	f := freezer{maxValue: maxValue, budget: maxAttr}
	out := frozen{level: r.Level, pc: r.PC}
	out.msg = f.text(r.Message)
	out.attrs = make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		if fa, ok := f.attr(a); ok {
			out.attrs = append(out.attrs, fa)
		}
		return !f.full
	})
	out.truncated = f.truncated
	out.heapBytes = f.heap + len(out.msg) + cap(out.attrs)*attrSize
	return out
}

// attrSize is the size of a slog.Attr on 64-bit platforms.
const attrSize = 40

type freezer struct {
	maxValue  int
	budget    int  // estimated JSON bytes still allowed
	full      bool // the budget ran out; no more attributes
	truncated bool // something was cut or left out
	heap      int  // bytes of strings and slices allocated
}

// attr copies one attribute; it reports false for an attribute to leave
// out (empty, or past the budget).
func (f *freezer) attr(a slog.Attr) (slog.Attr, bool) {
	if f.full {
		f.truncated = true
		return slog.Attr{}, false
	}
	v := a.Value.Resolve()
	key := f.text(a.Key)
	cost := jsonLen(key) + 2
	var out slog.Value
	switch v.Kind() {
	case slog.KindGroup:
		as := v.Group()
		if len(as) == 0 {
			return slog.Attr{}, false
		}
		if !f.spend(cost + 2) {
			return slog.Attr{}, false
		}
		children := make([]slog.Attr, 0, len(as))
		for _, ga := range as {
			if fa, ok := f.attr(ga); ok {
				children = append(children, fa)
			}
			if f.full {
				break
			}
		}
		f.heap += cap(children) * attrSize
		return slog.Attr{Key: key, Value: slog.GroupValue(children...)}, true
	case slog.KindString:
		s := f.text(v.String())
		cost += jsonLen(s)
		out = slog.StringValue(s)
	case slog.KindAny:
		if a.Key == "" && v.Any() == nil {
			return slog.Attr{}, false
		}
		var n int
		out, n = f.anyValue(v.Any())
		cost += n
	default:
		// Numbers, booleans, durations and times are plain values.
		cost += 32
		out = v
	}
	if !f.spend(cost) {
		return slog.Attr{}, false
	}
	return slog.Attr{Key: key, Value: out}, true
}

// spend takes n bytes from the budget; past it the freezer is full.
func (f *freezer) spend(n int) bool {
	if n > f.budget {
		f.full = true
		f.truncated = true
		return false
	}
	f.budget -= n
	return true
}

// text returns a copy of s, cut on a rune boundary to at most maxValue
// bytes plus an ellipsis.
func (f *freezer) text(s string) string {
	if len(s) > f.maxValue {
		n := f.maxValue
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + ellipsis
		f.truncated = true
	} else {
		s = strings.Clone(s)
	}
	f.heap += len(s)
	return s
}

// anyValue freezes a value of kind Any and returns it with its estimated
// JSON size. An error becomes its text. Anything else becomes a frozenValue
// holding its JSON and its text as they are now, so that the caller may
// mutate the original; a value too large becomes its cut text. A value
// whose methods panic becomes the panic's text.
func (f *freezer) anyValue(x any) (v slog.Value, n int) {
	defer func() {
		if p := recover(); p != nil {
			s := f.text(fmt.Sprintf("!PANIC: %v", p))
			v, n = slog.StringValue(s), jsonLen(s)
		}
	}()
	if err, ok := x.(error); ok {
		if _, jm := x.(json.Marshaler); !jm {
			s := f.text(err.Error())
			return slog.AnyValue(frozenError(s)), jsonLen(s)
		}
	}
	var text string
	if tm, ok := x.(encoding.TextMarshaler); ok {
		t, err := tm.MarshalText()
		if err != nil {
			text = "!ERROR:" + err.Error()
		} else {
			text = string(t)
		}
	} else {
		text = fmt.Sprintf("%+v", x)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		s := f.text("!ERROR:" + err.Error())
		return slog.StringValue(s), jsonLen(s)
	}
	js := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(js) > f.maxValue || len(text) > f.maxValue {
		s := f.text(text)
		return slog.StringValue(s), jsonLen(s)
	}
	fv := frozenValue{json: bytes.Clone(js), text: text}
	f.heap += len(fv.json) + len(fv.text) + 48
	return slog.AnyValue(fv), len(fv.json)
}

// frozenValue is a snapshot of a value of kind Any: handlers that write
// JSON get its JSON, handlers that write text get its text, both as they
// were when the record was folded.
type frozenValue struct {
	json []byte
	text string
}

// MarshalJSON returns the value's JSON as it was when it was folded.
func (v frozenValue) MarshalJSON() ([]byte, error) { return v.json, nil }

// MarshalText returns the value's text as it was when it was folded.
func (v frozenValue) MarshalText() ([]byte, error) { return []byte(v.text), nil }

// String returns the value's text as it was when it was folded.
func (v frozenValue) String() string { return v.text }

// frozenError is the text of an error held for a summary.
type frozenError string

func (e frozenError) Error() string { return string(e) }

// jsonLen estimates the length of s as a JSON string: quotes, escapes for
// control characters, quotes and backslashes, and a replacement for every
// invalid byte.
func jsonLen(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				n += 5
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 5
		} else if r == '\u2028' || r == '\u2029' {
			n += 3
		}
		i += size
	}
	return n
}
