package aggregation

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// tick lets the flusher of a handler built inside a synctest bubble run
// once more: it moves the bubble's clock on by the flush interval (the
// ticker fires then, the handler having started it at the instant of its
// first group) and waits until the flusher is blocked again. It reports
// false if no flusher was running.
func tick(t testing.TB, h *Handler) bool {
	t.Helper()
	running := h.sh.flusher.running.Load()
	time.Sleep(h.sh.cfg.flushInterval)
	synctest.Wait()
	return running
}

// tally counts individual lines and the sum of _count over summaries.
type tally struct {
	individual int
	summaries  int
	folded     int
}

func count(t testing.TB, lines []map[string]any) tally {
	t.Helper()
	var c tally
	for _, m := range lines {
		if f := summaryFields(m); f != nil {
			c.summaries++
			n, ok := f[keyCount].(float64)
			if !ok {
				t.Fatalf("summary without a numeric _count: %v", m)
			}
			c.folded += int(n)
			continue
		}
		c.individual++
	}
	return c
}

// summaryFields returns the object of a line that holds the summary keys
// (the line itself, or the group the summary was logged in), or nil for an
// individual record.
func summaryFields(m map[string]any) map[string]any {
	if m[keyAggregated] == true {
		return m
	}
	for _, v := range m {
		if g, ok := v.(map[string]any); ok {
			if f := summaryFields(g); f != nil {
				return f
			}
		}
	}
	return nil
}

// summaries returns the summary lines.
func summaries(lines []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range lines {
		if summaryFields(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

// closeOrFail closes h and fails on error.
func closeOrFail(t testing.TB, h *Handler) {
	t.Helper()
	if err := h.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// defaultsWith returns DefaultOptions changed by set.
func defaultsWith(set func(o *Options)) Options {
	o := DefaultOptions()
	set(&o)
	return o
}

// markerOnly returns DefaultOptions without a Matcher: only the System
// marker selects system records.
func markerOnly() Options {
	return defaultsWith(func(o *Options) { o.Match = nil })
}
