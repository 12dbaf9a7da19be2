package slogstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

func messagesOf(lines []map[string]any) []string {
	var ms []string
	for _, l := range lines {
		ms = append(ms, fmt.Sprint(l["msg"]))
	}
	return ms
}

var fixedTime = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 3600))

type valuer struct{ v any }

func (v valuer) LogValue() slog.Value { return slog.AnyValue(v.v) }

// handlerScript drives h with a fixed sequence of records through With
// and WithGroup chains.
func handlerScript(h slog.Handler) {
	ctx := context.Background()
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	rec := func(l slog.Level, msg string, attrs ...slog.Attr) slog.Record {
		r := slog.NewRecord(fixedTime, l, msg, pcs[0])
		r.AddAttrs(attrs...)
		return r
	}
	for _, l := range []slog.Level{slog.LevelDebug - 1, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn + 1, slog.LevelError} {
		if h.Enabled(ctx, l) {
			_ = h.Handle(ctx, rec(l, "level", slog.Int("n", int(l))))
		}
	}
	_ = h.Handle(ctx, rec(slog.LevelInfo, "kinds",
		slog.String("s", "a \"quoted\"\n\x00 <html> \u2028 é"), slog.Int64("i", -7), slog.Uint64("u", 1<<63),
		slog.Float64("f", 1.5e-9), slog.Bool("b", true), slog.Duration("d", 1500*time.Millisecond),
		slog.Time("t", fixedTime), slog.Any("err", errors.New("boom")), slog.Any("nil", nil),
		slog.Any("map", map[string]int{"x": 1}), slog.Any("lv", valuer{"resolved"}),
		slog.Group("g", slog.Int("a", 1), slog.Group("empty")), slog.String("password", "hunter2")))
	h2 := h.WithAttrs([]slog.Attr{slog.String("service", "api"), slog.Int("pid", 42)}).WithGroup("req")
	_ = h2.Handle(ctx, rec(slog.LevelWarn, "grouped", slog.String("path", "/x")))
	h3 := h2.WithAttrs([]slog.Attr{slog.String("user", "u1")}).WithGroup("").WithGroup("inner")
	_ = h3.Handle(ctx, rec(slog.LevelInfo, "deeper", slog.Int("k", 3)))
	_ = h3.Handle(ctx, rec(slog.LevelInfo, "no attrs"))
	_ = h.WithGroup("unused").Handle(ctx, rec(slog.LevelInfo, "empty group"))
}

// TestAllOffMatchesSlogJSONHandler checks that a Config with every feature
// off writes exactly what slog.JSONHandler writes with the same options.
func TestAllOffMatchesSlogJSONHandler(t *testing.T) {
	replace := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == "n" {
			return slog.String("n", "replaced")
		}
		if len(groups) > 0 && a.Key == "path" {
			return slog.Attr{}
		}
		return a
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"zero", Config{}},
		{"debug", Config{Level: slog.LevelDebug - 1}},
		{"warn", Config{Level: slog.LevelWarn}},
		{"source", Config{AddSource: true}},
		{"replace", Config{ReplaceAttr: replace}},
		{"debug level", Config{Level: slog.LevelDebug}},
		{"http options ignored by the logger", Config{HTTP: DefaultConfig().HTTP}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			var got, want bytes.Buffer
			s, err := NewStack(&got, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			handlerScript(s.Handler())
			handlerScript(slog.NewJSONHandler(&want, &slog.HandlerOptions{
				Level: tc.cfg.Level, AddSource: tc.cfg.AddSource, ReplaceAttr: tc.cfg.ReplaceAttr,
			}))
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if want.Len() == 0 {
				t.Fatal("the script wrote nothing")
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("output differs from slog.JSONHandler (-want +got):\n%s", diff)
			}
		})
	}

	// The same through the loggers, with the time removed on both sides.
	leakcheck.Check(t)
	var got, want bytes.Buffer
	s, err := NewStack(&got, Config{ReplaceAttr: logtest.DropTime, Level: slog.LevelDebug})
	if err != nil {
		t.Fatal(err)
	}
	logger, shutdown := s.Logger(), s.Shutdown
	ref := slog.New(slog.NewJSONHandler(&want, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime, Level: slog.LevelDebug}))
	for _, l := range []*slog.Logger{logger, ref} {
		l.Debug("debug", "a", 1)
		l.With("k", "v").WithGroup("g").Info("info", "b", []int{1, 2}, slog.Group("h", "c", 3.25))
		l.Error("error", "err", io.EOF)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("logger output differs from slog.JSONHandler (-want +got):\n%s", diff)
	}
}

// serve runs one request through the stack's HTTP middleware.
func serve(t *testing.T, s *Stack, path, correlationID string, h http.HandlerFunc) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-Correlation-ID", correlationID)
	rec := httptest.NewRecorder()
	s.Middleware(h).ServeHTTP(rec, req)
	return rec
}

// TestFullStack runs requests through every layer and checks the output
// and the stats of each.
func TestFullStack(t *testing.T) {
	for _, asyncOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", asyncOn), func(t *testing.T) {
			leakcheck.Check(t)
			var buf logtest.Buffer
			cfg := DefaultConfig()
			cfg.Level = slog.LevelDebug
			cfg.Async = asyncOn
			cfg.SamplingPolicy.Rate = 0 // sample no request by rate
			cfg.SamplingPolicy.AlwaysSamplePaths = []string{"/keep"}
			s, err := NewStack(&buf, cfg)
			if err != nil {
				t.Fatal(err)
			}
			log := s.Logger()

			rec := serve(t, s, "/keep", "kept-1", func(w http.ResponseWriter, r *http.Request) {
				log.InfoContext(r.Context(), "hello", "password", "hunter2", "note", "card 4242 4242 4242 4242")
			})
			if got := rec.Header().Get("X-Log-Sampled"); got != "true" {
				t.Errorf("/keep: X-Log-Sampled %q", got)
			}
			serve(t, s, "/drop", "drop-1", func(w http.ResponseWriter, r *http.Request) {
				log.InfoContext(r.Context(), "invisible")
			})
			serve(t, s, "/fail", "fail-1", func(w http.ResponseWriter, r *http.Request) {
				log.InfoContext(r.Context(), "step")
				log.ErrorContext(r.Context(), "boom")
				w.WriteHeader(http.StatusInternalServerError)
			})
			for range 20 { // unscoped system records: 5 pass, 15 are folded
				log.Debug("Connection pool size", "size", 4)
			}
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}

			out := buf.String()
			if strings.Contains(out, "hunter2") || strings.Contains(out, "4242 4242 4242 4242") {
				t.Errorf("secrets in the output:\n%s", out)
			}
			byID := map[string][]string{}
			var summary map[string]any
			pool := 0
			for _, l := range logtest.DecodeLines(t, out) {
				if id, ok := l["correlation_id"].(string); ok {
					byID[id] = append(byID[id], fmt.Sprint(l["msg"]))
					if id == "kept-1" && l["msg"] == "hello" && (l["_sampled"] != true || l["_sample_reason"] != "path") {
						t.Errorf("sampled record lacks its sampling attributes: %v", l)
					}
				}
				if l["msg"] == "Connection pool size" {
					if l["_aggregated"] == true {
						summary = l
					} else {
						pool++
					}
				}
			}
			want := map[string][]string{
				"kept-1": {"hello", accessMessage},
				"fail-1": {"step", "boom", accessMessage},
			}
			if diff := cmp.Diff(want, byID); diff != "" {
				t.Errorf("records by request (-want +got):\n%s", diff)
			}
			if pool != 5 || summary == nil || summary["_count"] != 15.0 {
				t.Errorf("pool lines: %d individual, summary %v; want 5 and a summary of 15", pool, summary)
			}

			st := s.Stats()
			if st.Records != 2+2+3+20 { // each request's records plus its access record
				t.Errorf("Stats.Records = %d, want 27", st.Records)
			}
			if st.Scope == nil || st.Sampling == nil || st.Aggregation == nil || st.Redact == nil {
				t.Fatalf("a layer's stats are missing: %+v", st)
			}
			if st.Sampling.RecordsDropped != 2 || st.Sampling.RecordsRescued != 1 {
				t.Errorf("sampling: dropped %d, rescued %d; want 2, 1", st.Sampling.RecordsDropped, st.Sampling.RecordsRescued)
			}
			if st.Aggregation.Folded != 15 || st.Aggregation.FoldedWritten != 15 {
				t.Errorf("aggregation: folded %d, written %d; want 15, 15", st.Aggregation.Folded, st.Aggregation.FoldedWritten)
			}
			if st.Redact.KeyMasked == 0 {
				t.Errorf("redact masked nothing: %+v", st.Redact)
			}
			if asyncOn {
				if st.Async == nil || st.Async.Dropped != 0 || st.Async.Synchronous != 0 || st.Async.Written != st.Async.Accepted {
					t.Errorf("async: %+v; want everything written from the queue, nothing dropped", st.Async)
				}
			} else if st.Async != nil {
				t.Errorf("async is off but has stats %+v", st.Async)
			}
		})
	}
}

// TestLayersSwitchOff checks that each switch adds exactly its layer.
func TestLayersSwitchOff(t *testing.T) {
	leakcheck.Check(t)
	present := func(st Stats) []string {
		var on []string
		if st.Sampling != nil {
			on = append(on, "sampling")
		}
		if st.Scope != nil {
			on = append(on, "correlation")
		}
		if st.Aggregation != nil {
			on = append(on, "aggregation")
		}
		if st.Redact != nil {
			on = append(on, "redact")
		}
		if st.Async != nil {
			on = append(on, "async")
		}
		return on
	}
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{}, nil},
		{Config{Correlation: true}, []string{"correlation"}},
		{Config{Sampling: true}, []string{"sampling"}},
		{Config{Aggregation: true}, []string{"aggregation"}},
		{Config{Redact: true}, []string{"redact"}},
		{Config{Async: true}, []string{"async"}},
		{DefaultConfig(), []string{"sampling", "correlation", "aggregation", "redact", "async"}},
	} {
		s, err := NewStack(io.Discard, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.Logger().Info("x")
		if diff := cmp.Diff(tc.want, present(s.Stats())); diff != "" {
			t.Errorf("%+v: layers (-want +got):\n%s", tc.cfg, diff)
		}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := s.Stats().Records; got != 1 {
			t.Errorf("%+v: Records = %d, want 1", tc.cfg, got)
		}
	}
}

// TestShutdownOrder checks that the aggregation's open summaries go
// through the async queue before it closes, so none is written late.
func TestShutdownOrder(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	cfg := DefaultConfig()
	cfg.AggregationOptions.Window = time.Hour // only Shutdown writes the summary
	s, err := NewStack(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		s.Logger().Info("Metric recorded", "name", "rps")
	}
	if strings.Contains(buf.String(), `"_aggregated"`) {
		t.Fatal("summary written before Shutdown")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := buf.Lines(t)
	if len(lines) != 6 || lines[5]["_count"] != 45.0 {
		t.Fatalf("want 5 records and a summary of 45, got %q", messagesOf(lines))
	}
	if st := s.Stats().Async; st.Synchronous != 0 || st.Written != 6 {
		t.Errorf("async after Shutdown: %+v; want the summary queued, not written after close", st)
	}
}

// blockingWriter blocks every Write until release is closed.
type blockingWriter struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return len(p), nil
}

// TestShutdownDeadline checks that Shutdown returns by its context's
// deadline when the sink is stuck, reports the loss, and is idempotent.
func TestShutdownDeadline(t *testing.T) {
	leakcheck.Check(t)
	w := &blockingWriter{release: make(chan struct{}), entered: make(chan struct{})}
	cfg := DefaultConfig()
	cfg.AggregationOptions.Window = time.Hour
	s, err := NewStack(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer close(w.release)
	for i := range 10 {
		s.Logger().Info("queued", "i", i)
	}
	for range 10 { // an open summary, written by Shutdown into the queue
		s.Logger().Info("Metric recorded")
	}
	<-w.entered
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = s.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "async") {
		t.Fatalf("Shutdown with a stuck sink: %v; want an async error", err)
	}
	if err2 := s.Shutdown(context.Background()); err2 != err {
		t.Errorf("second Shutdown returned %v, want the first result %v", err2, err)
	}
	if st := s.Stats(); st.Async.Lost == 0 {
		t.Errorf("async stats %+v: no record counted as lost", st.Async)
	}
}

// TestShutdownDeadlineSynchronousSink checks that a stuck synchronous sink
// cannot hold Shutdown past its deadline while the summaries are written.
func TestShutdownDeadlineSynchronousSink(t *testing.T) {
	leakcheck.Check(t)
	w := &blockingWriter{release: make(chan struct{}), entered: make(chan struct{})}
	var gate sync.Mutex
	blocking := false
	sink := writerFunc(func(p []byte) (int, error) {
		gate.Lock()
		b := blocking
		gate.Unlock()
		if b {
			return w.Write(p)
		}
		return len(p), nil
	})
	cfg := Config{Aggregation: true, AggregationOptions: DefaultConfig().AggregationOptions}
	cfg.AggregationOptions.Window = time.Hour
	s, err := NewStack(sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		s.Logger().Info("Metric recorded")
	}
	gate.Lock()
	blocking = true
	gate.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = s.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "aggregation") {
		t.Errorf("Shutdown with a stuck synchronous sink: %v; want the aggregation's deadline error", err)
	}
	<-w.entered
	close(w.release) // the summary's write returns, and Close's goroutine with it
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestAfterShutdown checks that records logged after Shutdown are written.
func TestAfterShutdown(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	s, err := NewStack(&buf, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	logger, shutdown := s.Logger(), s.Shutdown
	logger.Info("before")
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	logger.Info("after")
	logger.Info("Metric recorded")
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"before", "after", "Metric recorded"}, messagesOf(buf.Lines(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLevel(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	cfg := DefaultConfig()
	cfg.Async = false
	cfg.Level = &lv
	s, err := NewStack(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("hidden")
	s.Logger().Warn("shown")
	lv.Set(slog.LevelDebug)
	s.Logger().Debug("now shown")
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"shown", "now shown"}, messagesOf(buf.Lines(t))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := s.Stats().Records; got != 2 {
		t.Errorf("Records = %d, want 2 (records below the level are not counted)", got)
	}
}

// TestStatsJSON checks that the stack's Stats marshal with encoding/json
// (as expvar.Func shows them), every layer that is on under its field
// name, and read back to the same counters.
func TestStatsJSON(t *testing.T) {
	leakcheck.Check(t)
	s, err := NewStack(io.Discard, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	serve(t, s, "/api", "stats-1", func(w http.ResponseWriter, r *http.Request) {
		s.Logger().InfoContext(r.Context(), "hello", "password", "hunter2")
	})
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range keys {
		got = append(got, k)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"Aggregation", "Async", "HTTP", "Records", "Redact", "Sampling", "Scope"}, got); diff != "" {
		t.Errorf("JSON keys (-want +got):\n%s", diff)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, back); diff != "" {
		t.Errorf("Stats after a JSON round trip (-want +got):\n%s", diff)
	}

	// A layer that is off is left out.
	s, err = NewStack(io.Discard, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("x")
	if b, err := json.Marshal(s.Stats()); err != nil || string(b) != `{"Records":1}` {
		t.Errorf("Stats of a stack with every layer off: %s, %v", b, err)
	}
}

func TestBadArguments(t *testing.T) {
	if _, err := NewStack(nil, Config{}); err == nil {
		t.Error("NewStack(nil) succeeded")
	}
	if _, err := NewStackWithSink(nil, Config{}); err == nil {
		t.Error("NewStackWithSink(nil) succeeded")
	}
	if _, err := NewStack(io.Discard, Config{Sampling: true, SamplingPolicy: samplingRate(nan())}); err == nil {
		t.Error("NaN rate accepted")
	}
	var lv *slog.LevelVar
	if _, err := NewStack(io.Discard, Config{Level: lv}); err == nil {
		t.Error("nil *slog.LevelVar accepted")
	}
}

// TestStackWithSink runs the stack in front of another handler, queued.
func TestStackWithSink(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	sink := slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime})
	cfg := DefaultConfig()
	cfg.Level = slog.LevelWarn
	cfg.Format = FormatText // ignored: the sink is the format
	s, err := NewStackWithSink(sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("below the level")
	s.Logger().Warn("queued", "token", "abc")
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "level=WARN msg=queued token=[REDACTED]\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if st := s.Stats().Async; st == nil || st.Written != 1 {
		t.Errorf("async stats %+v, want one record written by the queue", st)
	}
}

// TestSlogtest runs testing/slogtest over the whole default stack.
func TestSlogtest(t *testing.T) {
	leakcheck.Check(t)
	var buf *logtest.Buffer
	var s *Stack
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		buf = &logtest.Buffer{}
		var err error
		s, err = NewStack(buf, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return s.Handler()
	}, func(t *testing.T) map[string]any {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		lines := buf.Lines(t)
		if len(lines) != 1 {
			t.Fatalf("want one line, got %d: %q", len(lines), buf.String())
		}
		return lines[0]
	})
}

// accessMessage is the message of access records in DefaultConfig.
const accessMessage = "request completed"

func samplingRate(r float64) sampling.Policy { return sampling.Policy{Rate: r} }

func nan() float64 { return math.NaN() }

// TestMiddlewareOptions checks the options of the stack's middleware and
// scopes: the stack's logger, its own copy of the configured policy (a
// caller changing the slices it gave or got changes nothing), Config.HTTP
// for the rest, and a policy that keeps everything when sampling is off.
func TestMiddlewareOptions(t *testing.T) {
	leakcheck.Check(t)
	paths := []string{"/api/v1/payments"}
	cfg := DefaultConfig()
	cfg.SamplingPolicy = sampling.Policy{Rate: 0.25, AlwaysSamplePaths: paths}
	cfg.HTTP.AccessMessage = "served"
	cfg.HTTP.Recover = true
	s, err := NewStack(io.Discard, cfg)
	if err != nil {
		t.Fatal(err)
	}
	paths[0] = "/changed"
	want := sampling.Policy{Rate: 0.25, AlwaysSamplePaths: []string{"/api/v1/payments"}}
	opts := s.httpOptions()
	if diff := cmp.Diff(want, opts.Policy.(*sampling.PolicyVar).Load()); diff != "" {
		t.Errorf("middleware policy (-want +got):\n%s", diff)
	}
	if opts.Logger != s.Logger() || opts.AccessMessage != "served" || !opts.Recover || !opts.AccessLog || opts.Body.Redact == nil {
		t.Errorf("middleware options %+v: want the stack's logger, Config.HTTP and the stack's body redaction", opts)
	}
	so := s.ScopeOptions("job/report")
	if so.Name != "job/report" || so.Logger != s.Logger() || so.Policy != opts.Policy {
		t.Errorf("ScopeOptions = %+v: want the stack's logger and the middleware's policy", so)
	}
	got := so.Policy.(*sampling.PolicyVar).Load()
	got.AlwaysSamplePaths[0] = "/changed"
	if got := s.ScopeOptions("x").Policy.(*sampling.PolicyVar).Load(); !cmp.Equal(got, want) {
		t.Errorf("changing the loaded policy changed the stack's: %+v", got)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Sampling off: every request is sampled, whatever the policy says.
	cfg.Sampling = false
	cfg.SamplingPolicy = sampling.DefaultPolicy()
	s, err = NewStack(io.Discard, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/health", "/api/v1/payments"} {
		if rec := serve(t, s, path, "any-id", func(http.ResponseWriter, *http.Request) {}); rec.Header().Get("X-Log-Sampled") != "true" {
			t.Errorf("sampling off: %s not sampled (X-Log-Sampled %q)", path, rec.Header().Get("X-Log-Sampled"))
		}
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestAllOffFromEnv checks that switching every feature off through the
// environment gives slog.JSONHandler's output too.
func TestAllOffFromEnv(t *testing.T) {
	leakcheck.Check(t)
	cfg, err := env{
		"LOG_LEVEL": "debug", "LOG_CORRELATION": "false", "LOG_SAMPLING": "false",
		"LOG_AGGREGATION": "false", "LOG_REDACT": "false", "LOG_ASYNC": "false",
	}.config(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var got, want bytes.Buffer
	s, err := NewStack(&got, cfg)
	if err != nil {
		t.Fatal(err)
	}
	handlerScript(s.Handler())
	handlerScript(slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("output differs from slog.JSONHandler (-want +got):\n%s", diff)
	}
}

// TestConservation logs from concurrent requests through the whole stack
// and checks that every record is accounted for: written, or counted by the
// layer that kept it back.
func TestConservation(t *testing.T) {
	leakcheck.Check(t)
	workers, requests := 8, 40
	if testing.Short() {
		requests = 10
	}
	var buf logtest.Buffer
	cfg := DefaultConfig()
	cfg.Level = slog.LevelDebug
	cfg.SamplingPolicy.Rate = 0.5
	cfg.AsyncOptions.Capacity = 64 // small: the queue may drop, and must count it
	s, err := NewStack(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := s.Logger()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range requests {
				opts := s.ScopeOptions("/work")
				opts.CorrelationID = fmt.Sprintf("w%d-r%d", w, i)
				ctx, end := scope.Start(context.Background(), opts)
				for k := range 4 {
					log.InfoContext(ctx, "work step", "step", k)
					log.DebugContext(ctx, "Connection pool size", "size", 2)
				}
				var err error
				if i%7 == 0 {
					log.ErrorContext(ctx, "work failed")
					err = errors.New("failed")
				}
				end(err)
				log.Debug("Metric recorded", "name", "requests") // unscoped
			}
		})
	}
	wg.Wait()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	written := uint64(len(buf.Lines(t)))
	sm, ag, as := st.Sampling, st.Aggregation, st.Async
	kept := st.Records - (sm.RecordsDropped + sm.RecordsDiscarded + sm.RecordsFiltered + sm.RecordsLostRequestBound + sm.RecordsLostGlobalBudget)
	want := kept - ag.Folded + (ag.Summaries.Total() - ag.SummariesDisabled) - as.Dropped + as.Reports
	if written != want {
		t.Errorf("%d lines written; the stats account for %d (records %d, sampling %+v, aggregation %+v, async %+v)",
			written, want, st.Records, *sm, *ag, *as)
	}
	if logged := uint64(workers * requests * (8 + 1)); st.Records < logged {
		t.Errorf("Records = %d, want at least %d", st.Records, logged)
	}
	t.Logf("records %d, written %d; sampled out %d, rescued %d; folded %d into %d summaries; async dropped %d in %d reports",
		st.Records, written, sm.RecordsDropped, sm.RecordsRescued, ag.Folded, ag.Summaries.Total(), as.Dropped, as.Reports)
	if sm.RecordsDropped == 0 || ag.Folded == 0 || sm.RecordsRescued == 0 {
		t.Errorf("the workload did not exercise every layer: sampling %+v, aggregation %+v", *sm, *ag)
	}
}

// TestStackString checks that String lists exactly the layers the Config
// switches on, top first, for both builders.
func TestStackString(t *testing.T) {
	all := DefaultConfig()
	tests := []struct {
		name string
		cfg  Config
		sink bool
		want string
	}{
		{"all off", Config{}, false, "handler.JSONHandler -> io.Writer"},
		{"all off, sink", Config{}, true, "sink"},
		{"defaults", all, false, "sampling.Handler -> scope.Handler -> aggregation.Handler -> redact.Handler -> handler.JSONHandler -> async.Writer -> io.Writer"},
		{"defaults, sink", all, true, "sampling.Handler -> scope.Handler -> aggregation.Handler -> redact.Handler -> async.Handler -> sink"},
		{"sampling and async", Config{Sampling: true, SamplingPolicy: all.SamplingPolicy, SamplingOptions: all.SamplingOptions, Async: true, AsyncOptions: all.AsyncOptions}, false, "sampling.Handler -> handler.JSONHandler -> async.Writer -> io.Writer"},
		{"redact only", Config{Redact: true, RedactOptions: all.RedactOptions}, true, "redact.Handler -> sink"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				s   *Stack
				err error
			)
			if tt.sink {
				s, err = NewStackWithSink(slog.DiscardHandler, tt.cfg)
			} else {
				s, err = NewStack(io.Discard, tt.cfg)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Shutdown(context.Background())
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStackWithSinkRefusesEncoderOptions checks that NewStackWithSink
// refuses the options only an encoder can apply, which ignored would
// change the output silently, and builds nothing.
func TestStackWithSinkRefusesEncoderOptions(t *testing.T) {
	leakcheck.Check(t)
	rename := func(_ []string, a slog.Attr) slog.Attr { return a }
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ReplaceAttr", func(c *Config) { c.ReplaceAttr = rename },
			"slogstack: NewStackWithSink: ReplaceAttr is set, but the sink encodes the records: set it in the sink's own options (slog.HandlerOptions.ReplaceAttr) and leave Config.ReplaceAttr nil"},
		{"AddSource", func(c *Config) { c.AddSource = true },
			"slogstack: NewStackWithSink: AddSource is set, but the sink encodes the records: set it in the sink's own options (slog.HandlerOptions.AddSource) and leave Config.AddSource false"},
		{"both", func(c *Config) { c.ReplaceAttr, c.AddSource = rename, true },
			"slogstack: NewStackWithSink: ReplaceAttr is set, but the sink encodes the records: set it in the sink's own options (slog.HandlerOptions.ReplaceAttr) and leave Config.ReplaceAttr nil\n" +
				"slogstack: NewStackWithSink: AddSource is set, but the sink encodes the records: set it in the sink's own options (slog.HandlerOptions.AddSource) and leave Config.AddSource false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			s, err := NewStackWithSink(slog.DiscardHandler, cfg)
			if err == nil || err.Error() != tc.want || s != nil {
				t.Errorf("NewStackWithSink = %v, %v; want nil and\n%s", s, err, tc.want)
			}
			built, err := NewStack(io.Discard, cfg)
			if err != nil {
				t.Fatalf("NewStack refuses what it applies: %v", err)
			}
			if err := built.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
