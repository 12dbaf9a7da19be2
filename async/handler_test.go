package async

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

func closeNow(t *testing.T, c interface{ Close(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestSlogtest(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	var h *Handler
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		buf.Reset()
		h = NewHandler(slog.NewJSONHandler(&buf, nil), Options{})
		t.Cleanup(func() { closeNow(t, h) })
		return h
	}, func(t *testing.T) map[string]any {
		closeNow(t, h)
		ls := buf.Lines(t)
		if len(ls) != 1 {
			t.Fatalf("got %d lines, want 1: %q", len(ls), buf.String())
		}
		return ls[0]
	})
}

func TestHandlerWritesInOrderWithAttrsAndGroups(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), Options{})
	l := slog.New(h).With("svc", "api").WithGroup("req").With("id", 7)
	for i := range 3 {
		l.Info("m", "i", i)
	}
	closeNow(t, h)
	want := `{"level":"INFO","msg":"m","svc":"api","req":{"id":7,"i":0}}
{"level":"INFO","msg":"m","svc":"api","req":{"id":7,"i":1}}
{"level":"INFO","msg":"m","svc":"api","req":{"id":7,"i":2}}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	st := h.Stats()
	if st.Accepted != 3 || st.Written != 3 || st.Dropped != 0 || st.QueueDepth != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

// ctxKey carries a value through the queue, as the OpenTelemetry span does.
type ctxKey struct{}

type ctxSink struct {
	mu   sync.Mutex
	seen []string
	errs []error
}

func (s *ctxSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *ctxSink) Handle(ctx context.Context, r slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := ctx.Value(ctxKey{}).(string)
	s.seen = append(s.seen, v)
	s.errs = append(s.errs, ctx.Err())
	return nil
}
func (s *ctxSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *ctxSink) WithGroup(string) slog.Handler      { return s }

func TestContextValuesSurviveCancellation(t *testing.T) {
	leakcheck.Check(t)
	sink := &ctxSink{}
	h := NewHandler(sink, Options{})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "span-1"))
	slog.New(h).InfoContext(ctx, "in request")
	cancel()
	closeNow(t, h)
	if diff := cmp.Diff([]string{"span-1"}, sink.seen); diff != "" {
		t.Fatalf("context values (-want +got):\n%s", diff)
	}
	if sink.errs[0] != nil {
		t.Fatalf("sink saw ctx.Err() = %v, want nil", sink.errs[0])
	}
}

// stringer is a LogValuer whose value the caller changes after logging.
type counterValuer struct{ n *int }

func (c counterValuer) LogValue() slog.Value { return slog.IntValue(*c.n) }

func TestCallerMutationAfterLogIsNotSeen(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	block := make(chan struct{})
	h := NewHandler(&gatedHandler{next: slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), gate: block}, Options{})
	m := map[string]int{"a": 1}
	s := []string{"x"}
	n := 1
	p := &struct{ V []int }{V: []int{1}}
	slog.New(h).Info("m", "map", m, "slice", s, "valuer", counterValuer{&n}, "ptr", p,
		slog.Group("g", "inner", []int{5}))
	m["a"] = 2
	m["b"] = 3
	s[0] = "y"
	n = 2
	p.V[0] = 9
	close(block)
	closeNow(t, h)
	want := `{"level":"INFO","msg":"m","map":{"a":1},"slice":["x"],"valuer":1,"ptr":{"V":[1]},"g":{"inner":[5]}}` + "\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
}

// gatedHandler blocks every Handle until gate is closed.
type gatedHandler struct {
	next slog.Handler
	gate chan struct{}
}

func (g *gatedHandler) Enabled(ctx context.Context, l slog.Level) bool { return g.next.Enabled(ctx, l) }
func (g *gatedHandler) Handle(ctx context.Context, r slog.Record) error {
	<-g.gate
	return g.next.Handle(ctx, r)
}
func (g *gatedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &gatedHandler{next: g.next.WithAttrs(as), gate: g.gate}
}
func (g *gatedHandler) WithGroup(n string) slog.Handler {
	return &gatedHandler{next: g.next.WithGroup(n), gate: g.gate}
}

func TestRaceCallerMutatesMapAndSlice(t *testing.T) {
	leakcheck.Check(t)
	h := NewHandler(slog.NewJSONHandler(discard{}, nil), Options{})
	l := slog.New(h)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			m := map[string]int{}
			s := make([]int, 4)
			for i := range 500 {
				l.Info("m", "map", m, "slice", s, "g", g)
				m["k"] = i // mutate right after the call returns
				s[i%4] = i
			}
		})
	}
	wg.Wait()
	closeNow(t, h)
	if st := h.Stats(); st.Written+st.Dropped != 2000 {
		t.Fatalf("Stats = %+v, want Written+Dropped 2000", st)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestCloseTwiceAndHandleAfterClose(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), Options{})
	l := slog.New(h)
	l.Info("before")
	closeNow(t, h)
	closeNow(t, h)
	l.Info("after")
	want := "{\"level\":\"INFO\",\"msg\":\"before\"}\n{\"level\":\"INFO\",\"msg\":\"after\"}\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	if st := h.Stats(); st.Accepted != 1 || st.Written != 1 || st.Synchronous != 1 {
		t.Fatalf("Stats = %+v, want Accepted 1 Written 1 Synchronous 1", st)
	}
}

// panickyEnabled panics in Enabled on the drain goroutine (the caller's
// check is let through).
type panickyEnabled struct {
	ctxSink
	calls sync.Mutex
	n     int
}

func (p *panickyEnabled) Enabled(context.Context, slog.Level) bool {
	p.calls.Lock()
	defer p.calls.Unlock()
	p.n++
	if p.n%2 == 0 {
		panic("enabled exploded")
	}
	return true
}

func TestPanicInEnabledOnReplayIsSurvived(t *testing.T) {
	leakcheck.Check(t)
	sink := &panickyEnabled{}
	h := NewHandler(sink, Options{})
	for range 3 {
		h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0))
	}
	closeNow(t, h)
	// Enabled calls 1, 2, 3 from the drain only (Handle is called directly
	// here): the second panics, and its record counts as failed.
	if st := h.Stats(); st.Written != 2 || st.Failed != 1 || st.SinkPanics != 1 || len(sink.seen) != 2 {
		t.Fatalf("Stats = %+v, sink saw %d records; want Written 2, Failed 1, SinkPanics 1, 2 seen", st, len(sink.seen))
	}
}

// faultySink errors on every odd record and panics on every third.
type faultySink struct {
	mu    sync.Mutex
	calls int
	ok    int
}

func (s *faultySink) Enabled(context.Context, slog.Level) bool { return true }
func (s *faultySink) Handle(context.Context, slog.Record) error {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mu.Unlock()
	switch {
	case n%3 == 0:
		panic("sink exploded")
	case n%2 == 1:
		return errors.New("sink failed")
	}
	s.mu.Lock()
	s.ok++
	s.mu.Unlock()
	return nil
}
func (s *faultySink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *faultySink) WithGroup(string) slog.Handler      { return s }

func TestSinkErrorsAndPanicsAreCountedAndSurvived(t *testing.T) {
	leakcheck.Check(t)
	sink := &faultySink{}
	h := NewHandler(sink, Options{})
	l := slog.New(h)
	for range 12 {
		l.Info("m")
	}
	closeNow(t, h)
	// calls 1..12: panics at 3,6,9,12 (4); errors at odd non-multiples of 3: 1,5,7,11 (4).
	st := h.Stats()
	if st.Written != 4 || st.Failed != 8 || st.SinkPanics != 4 || st.WriteErrors != 4 || sink.ok != 4 {
		t.Fatalf("Stats = %+v, ok = %d; want Written 4 Failed 8 SinkPanics 4 WriteErrors 4 ok 4", st, sink.ok)
	}
}

func TestEnabledIsCheckedAgainOnReplay(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	lv := new(slog.LevelVar)
	gate := make(chan struct{})
	h := NewHandler(&gatedHandler{next: slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: lv}), gate: gate}, Options{})
	l := slog.New(h)
	l.Error("blocker") // holds the drain in the sink until the gate opens
	l.Info("queued")
	lv.Set(slog.LevelError) // raised before the drain replays "queued"
	close(gate)
	closeNow(t, h)
	if ls := buf.Lines(t); len(ls) != 1 || ls[0]["msg"] != "blocker" {
		t.Fatalf("output = %q, want only the blocker", buf.String())
	}
	if st := h.Stats(); st.Skipped != 1 || st.Written != 1 {
		t.Fatalf("Stats = %+v, want Skipped 1 Written 1", st)
	}
}
