package aggregation

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/logtest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeTicker fires only when the test says so; tick returns after the
// flusher has processed the tick.
type fakeTicker struct {
	c    chan time.Time
	done chan struct{}
}

func newFakeTicker() *fakeTicker {
	return &fakeTicker{c: make(chan time.Time), done: make(chan struct{}, 1)}
}

func (f *fakeTicker) C() <-chan time.Time { return f.c }
func (f *fakeTicker) Stop()               {}

// tick fires the ticker of h's flusher and waits for the flusher to finish
// the tick. It reports false, without firing, if no flusher is running.
func (f *fakeTicker) tick(t testing.TB, h *Handler) bool {
	t.Helper()
	if !h.sh.flusher.running.Load() {
		return false
	}
	select {
	case f.c <- time.Time{}:
	case <-time.After(10 * time.Second):
		t.Fatal("flusher marked running did not take the tick")
	}
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		t.Fatal("flusher did not finish its tick")
	}
	return true
}

// waitFlusherStopped waits until h's flusher has exited.
func waitFlusherStopped(t testing.TB, h *Handler) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.sh.flusher.running.Load() {
		if time.Now().After(deadline) {
			t.Fatal("flusher still running with an empty cache")
		}
		time.Sleep(time.Millisecond)
	}
}

// withFakes returns opts using clock and ticker.
// newDrivenHandler returns a Handler with default options writing JSON at
// DEBUG to out, on a fake clock, whose flusher runs only when tk ticks.
func newDrivenHandler() (h *Handler, out *logtest.Buffer, clock *fakeClock, tk *fakeTicker) {
	out = new(logtest.Buffer)
	clock, tk = newFakeClock(), newFakeTicker()
	return NewHandler(out.JSONHandler(slog.LevelDebug), withFakes(Options{}, clock, tk)), out, clock, tk
}

func withFakes(opts Options, clock *fakeClock, tk *fakeTicker) Options {
	opts.Now = clock.Now
	if tk != nil {
		opts.newTicker = func(time.Duration) ticker { return tk }
		opts.afterTick = func() { tk.done <- struct{}{} }
	}
	return opts
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
			n, ok := f[KeyCount].(float64)
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
	if m[KeyAggregated] == true {
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
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
