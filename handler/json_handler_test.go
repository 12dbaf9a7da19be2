package handler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixedTimeHandler sets every record's time to baseTime, so that output
// logged through a slog.Logger (which stamps time.Now) can be compared.
type fixedTimeHandler struct{ next slog.Handler }

func (h fixedTimeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h fixedTimeHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Time = baseTime
	return h.next.Handle(ctx, r)
}

func (h fixedTimeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return fixedTimeHandler{h.next.WithAttrs(as)}
}

func (h fixedTimeHandler) WithGroup(name string) slog.Handler {
	return fixedTimeHandler{h.next.WithGroup(name)}
}

// TestJSONHandlerOutput pins exact output for the behaviours that matter
// most, including slog's oddities, and checks slog writes the same.
func TestJSONHandlerOutput(t *testing.T) {
	dropD := func(_ []string, a slog.Attr) slog.Attr {
		if strings.HasPrefix(a.Key, "d") {
			return slog.Attr{}
		}
		return a
	}
	var seenGroups []string
	recordGroups := func(groups []string, a slog.Attr) slog.Attr {
		seenGroups = append(seenGroups, fmt.Sprintf("%s:%v", a.Key, groups))
		return dropD(groups, a)
	}
	tests := []struct {
		name string
		opts *slog.HandlerOptions
		log  func(l *slog.Logger)
		want string
		// groups, if set, is what recordGroups must have seen.
		groups []string
	}{{
		name: "standard payload",
		log: func(l *slog.Logger) {
			l.With("service", "api", "correlation_id", "c0ffee").LogAttrs(context.Background(), slog.LevelInfo, "request handled",
				slog.String("method", "GET"), slog.String("path", "/api/v1/users"), slog.Int("status", 200),
				slog.Duration("latency", 1500*time.Microsecond), slog.Int64("bytes", 5120), slog.Bool("ok", true))
		},
		want: `{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"request handled","service":"api","correlation_id":"c0ffee","method":"GET","path":"/api/v1/users","status":200,"latency":1500000,"bytes":5120,"ok":true}` + "\n",
	}, {
		name: "groups from WithGroup and With, empty group elided",
		log: func(l *slog.Logger) {
			l.WithGroup("req").With("id", 7).WithGroup("inner").Info("m", slog.Group("empty"), "k", "v")
			l.WithGroup("req").Info("no attrs: no group")
		},
		want: `{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"m","req":{"id":7,"inner":{"k":"v"}}}` + "\n" +
			`{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"no attrs: no group"}` + "\n",
	}, {
		name: "group emptied by ReplaceAttr drops the following comma, as slog does",
		opts: &slog.HandlerOptions{ReplaceAttr: dropD},
		log: func(l *slog.Logger) {
			l.Info("m", "a", 1, slog.Group("g", "drop", 2), "c", 3)
		},
		want: `{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"m","a":1"c":3}` + "\n",
	}, {
		name: "special floats, errors, marshalers, HTML characters",
		log: func(l *slog.Logger) {
			l.Info("<&>", "nan", math.NaN(), "inf", math.Inf(-1), "small", 1e-7, "big", 1e21,
				"err", errors.New("bad <thing>"), "nilerr", (*testError)(nil), "m", badMarshaler{},
				"p", panicMarshaler{1}, "ch", make(chan int), "s", "\u2028\xff\x01")
		},
		want: `{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"<&>","nan":"!ERROR:json: unsupported value: NaN",` +
			`"inf":"!ERROR:json: unsupported value: -Inf","small":1e-7,"big":1e+21,"err":"bad <thing>","nilerr":"<nil>",` +
			`"m":"!ERROR:json: error calling MarshalJSON for type handler.badMarshaler: cannot marshal",` +
			`"p":"!PANIC: marshal boom 1","ch":"!ERROR:json: unsupported type: chan int","s":"\u2028\ufffd\u0001"}` + "\n",
	}, {
		name: "time out of range",
		log: func(l *slog.Logger) {
			l.Info("m", "t", time.Date(10000, 1, 2, 3, 4, 5, 6, time.UTC), "z", time.Time{})
		},
		want: `{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"m","t":"!ERROR:time.Time year outside of range [0,9999]""10000-01-02T03:04:05.000000006Z","z":"0001-01-01T00:00:00Z"}` + "\n",
	}, {
		name: "ReplaceAttr sees built-ins without groups and record attrs with them",
		opts: &slog.HandlerOptions{ReplaceAttr: recordGroups},
		log: func(l *slog.Logger) {
			l.WithGroup("g").With("d0", 0, "a", 1).WithGroup("h").Info("m", "b", 2, slog.Group("i", "c", 3))
		},
		want:   `{"time":"2026-11-28T01:02:03.456789Z","level":"INFO","msg":"m","g":{"a":1,"h":{"b":2,"i":{"c":3}}}}` + "\n",
		groups: []string{"d0:[g]", "a:[g]", "time:[]", "level:[]", "msg:[]", "b:[g h]", "c:[g h i]"},
	}, {
		name: "level beyond the named ones and a LogValuer chain",
		opts: &slog.HandlerOptions{Level: slog.LevelDebug - 4},
		log: func(l *slog.Logger) {
			l.Log(context.Background(), slog.LevelError+2, "m", "v", chainValuer{3, slog.GroupValue(slog.Int("x", 1))})
			l.Log(context.Background(), slog.LevelDebug-1, "m", "loop", loopValuer{})
		},
		want: `{"time":"2026-11-28T01:02:03.456789Z","level":"ERROR+2","msg":"m","v":{"x":1}}` + "\n" +
			`{"time":"2026-11-28T01:02:03.456789Z","level":"DEBUG-1","msg":"m","loop":"LogValue called too many times on Value of type handler.loopValuer"}` + "\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mk := range []struct {
				name string
				new  func(io.Writer, *slog.HandlerOptions) slog.Handler
			}{
				{"slog", func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }},
				{"handler", func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return NewJSONHandler(w, o) }},
			} {
				seenGroups = nil
				var buf bytes.Buffer
				tt.log(slog.New(fixedTimeHandler{mk.new(&buf, tt.opts)}))
				if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
					t.Errorf("%s output (-want +got):\n%s", mk.name, diff)
				}
				if tt.groups != nil {
					if diff := cmp.Diff(tt.groups, seenGroups); diff != "" {
						t.Errorf("%s ReplaceAttr groups (-want +got):\n%s", mk.name, diff)
					}
				}
			}
		})
	}
}

// TestJSONHandlerSourceMatchesSlog logs from real call sites with AddSource,
// with and without ReplaceAttr, through slog.Logger.
func TestJSONHandlerSourceMatchesSlog(t *testing.T) {
	for _, rep := range []byte{0, 1, 2, 3, 4, 5} {
		opts := &slog.HandlerOptions{AddSource: true, ReplaceAttr: replaceAttr(rep)}
		want, got := compareHandlers(opts, func(h slog.Handler) {
			l := slog.New(fixedTimeHandler{h})
			l.Info("first", "a", 1)
			for i := range 3 {
				l.With("i", i).WithGroup("g").Warn("loop", "k", "v", "group", 1)
			}
			l.Error("src attr", "s", &slog.Source{Function: "f", File: "x.go", Line: 3}, "e", &slog.Source{})
		})
		if want != got {
			t.Errorf("ReplaceAttr mode %d: output differs (-slog +handler):\n%s", rep, cmp.Diff(want, got))
		}
		if !strings.Contains(got, "json_handler_test.go") && rep != 3 {
			t.Errorf("ReplaceAttr mode %d: no source file in output:\n%s", rep, got)
		}
	}
}

// TestJSONHandlerEnabled checks the level threshold, including a LevelVar
// changed at run time and the nil default.
func TestJSONHandlerEnabled(t *testing.T) {
	var lv slog.LevelVar
	tests := []struct {
		opts *slog.HandlerOptions
		set  slog.Level
		want map[slog.Level]bool
	}{
		{nil, 0, map[slog.Level]bool{slog.LevelDebug: false, slog.LevelInfo - 1: false, slog.LevelInfo: true, slog.LevelError: true}},
		{&slog.HandlerOptions{Level: slog.LevelWarn}, 0, map[slog.Level]bool{slog.LevelInfo: false, slog.LevelWarn: true}},
		{&slog.HandlerOptions{Level: &lv}, slog.LevelError, map[slog.Level]bool{slog.LevelWarn: false, slog.LevelError: true}},
		{&slog.HandlerOptions{Level: &lv}, slog.LevelDebug, map[slog.Level]bool{slog.LevelDebug: true, slog.LevelDebug - 1: false}},
	}
	for i, tt := range tests {
		lv.Set(tt.set)
		h := NewJSONHandler(io.Discard, tt.opts)
		ref := slog.NewJSONHandler(io.Discard, tt.opts)
		for level, want := range tt.want {
			if got := h.Enabled(context.Background(), level); got != want {
				t.Errorf("case %d: Enabled(%v) = %v, want %v", i, level, got, want)
			}
			if got := ref.Enabled(context.Background(), level); got != want {
				t.Errorf("case %d: slog Enabled(%v) = %v, want %v", i, level, got, want)
			}
		}
	}
}

// TestJSONHandlerWithEmptyGroupsReturnsReceiver checks the documented
// shortcut of WithAttrs.
func TestJSONHandlerWithEmptyGroupsReturnsReceiver(t *testing.T) {
	h := NewJSONHandler(io.Discard, nil)
	if got := h.WithAttrs([]slog.Attr{slog.Group("a"), slog.Group("b")}); got != slog.Handler(h) {
		t.Errorf("WithAttrs(empty groups) = %p, want the receiver %p", got, h)
	}
	if got := h.WithAttrs(nil); got != slog.Handler(h) {
		t.Errorf("WithAttrs(nil) = %p, want the receiver %p", got, h)
	}
}

// TestJSONHandlerDerivedHandlersIndependent checks that handlers derived
// from one parent do not see each other's attributes or groups.
func TestJSONHandlerDerivedHandlersIndependent(t *testing.T) {
	var buf bytes.Buffer
	parent := NewJSONHandler(&buf, nil).WithAttrs([]slog.Attr{slog.Int("p", 1)}).WithGroup("g")
	a := parent.WithAttrs([]slog.Attr{slog.Int("a", 1)})
	b := parent.WithAttrs([]slog.Attr{slog.Int("b", 2)})
	c := parent.WithGroup("c")
	for _, h := range []slog.Handler{a, b, c, parent} {
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.Int("x", 0))
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	want := `{"level":"INFO","msg":"m","p":1,"g":{"a":1,"x":0}}
{"level":"INFO","msg":"m","p":1,"g":{"b":2,"x":0}}
{"level":"INFO","msg":"m","p":1,"g":{"c":{"x":0}}}
{"level":"INFO","msg":"m","p":1,"g":{"x":0}}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestJSONHandlerSlogtest runs the standard library's handler conformance
// suite.
func TestJSONHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return NewJSONHandler(&buf, nil)
	}
	result := func(t *testing.T) map[string]any {
		m := map[string]any{}
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("output %q is not one JSON object: %v", buf.String(), err)
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

// writeRecorder records every Write call separately.
type writeRecorder struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// TestJSONHandlerConcurrentWritesDoNotInterleave logs from many goroutines
// through derived handlers sharing one writer and checks that every record
// arrives in one Write, whole, newline-terminated and valid JSON, and that
// every record arrives exactly once.
func TestJSONHandlerConcurrentWritesDoNotInterleave(t *testing.T) {
	goroutines, perGoroutine := 16, 500
	if testing.Short() {
		perGoroutine = 100
	}
	var w writeRecorder
	base := NewJSONHandler(&w, &slog.HandlerOptions{AddSource: true})
	var wg sync.WaitGroup
	for g := range goroutines {
		l := slog.New(base).With("g", g).WithGroup("grp")
		wg.Go(func() {
			for i := range perGoroutine {
				l.Info("concurrent", "i", i, "pad", strings.Repeat("x", i%300))
			}
		})
	}
	wg.Wait()
	if got, want := len(w.writes), goroutines*perGoroutine; got != want {
		t.Fatalf("%d writes, want %d (one per record)", got, want)
	}
	seen := make(map[[2]int]bool)
	for _, p := range w.writes {
		if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
			t.Fatalf("write is not exactly one line: %q", p)
		}
		var rec struct {
			G   int
			Grp struct{ I int }
		}
		if err := json.Unmarshal(p, &rec); err != nil {
			t.Fatalf("write is not valid JSON: %v: %q", err, p)
		}
		k := [2]int{rec.G, rec.Grp.I}
		if seen[k] {
			t.Fatalf("record %v written twice", k)
		}
		seen[k] = true
	}
}

// errWriter fails every Write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestJSONHandlerReturnsWriteError checks that the writer's error reaches
// the caller of Handle.
func TestJSONHandlerReturnsWriteError(t *testing.T) {
	h := NewJSONHandler(errWriter{}, nil)
	err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0))
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("Handle error = %v, want disk full", err)
	}
}

// TestJSONHandlerLargeRecords checks records far larger than the pooled
// buffers, and that the buffers stay usable afterwards.
func TestJSONHandlerLargeRecords(t *testing.T) {
	big := strings.Repeat("é\"\n", 50_000)
	want, got := compareHandlers(nil, func(h slog.Handler) {
		l := slog.New(fixedTimeHandler{h})
		l.Info("big", "s", big, "m", map[string]string{"k": big})
		l.Info("small", "s", "x")
	})
	if want != got {
		t.Fatalf("output differs from slog.JSONHandler (%d vs %d bytes)", len(want), len(got))
	}
	sc := bufio.NewScanner(strings.NewReader(got))
	sc.Buffer(nil, 1<<22)
	lines := 0
	for sc.Scan() {
		lines++
	}
	if lines != 2 {
		t.Fatalf("%d lines, want 2", lines)
	}
}

// TestJSONHandlerTimeCache checks times around second boundaries, across
// locations and in consecutive seconds, which exercise the cache of
// formatted seconds.
func TestJSONHandlerTimeCache(t *testing.T) {
	locs := []*time.Location{time.UTC, time.Local, zoneEast, zoneWest, zoneOddSec}
	want, got := compareHandlers(nil, func(h slog.Handler) {
		for i := range 200 {
			loc := locs[i%len(locs)]
			base := time.Date(2026, 3, 29, 0, 59, 58, 0, loc).Add(time.Duration(i) * 170 * time.Millisecond)
			for _, ns := range []int{0, 1, 10, 100_000, 999_999_999, 120_000_000} {
				ts := base.Add(time.Duration(ns))
				r := slog.NewRecord(ts, slog.LevelInfo, "m", 0)
				r.AddAttrs(slog.Time("t", ts), slog.Time("old", ts.Add(-time.Hour)))
				_ = h.Handle(context.Background(), r)
			}
		}
	})
	if want != got {
		t.Fatalf("output differs (-slog +handler):\n%s", cmp.Diff(want, got))
	}
}

// panicValuer panics in LogValue.
type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("boom") }

// TestJSONHandlerPanickingLogValuer checks the one documented difference
// from slog.JSONHandler: a LogValue that panics is written as slog writes
// it, "LogValue panicked" and the call stack, but the stack names this
// handler's functions where slog's names its own. Up to the frame of
// slog.Value.Resolve the text is the same.
func TestJSONHandlerPanickingLogValuer(t *testing.T) {
	want, got := compareHandlers(nil, func(h slog.Handler) {
		slog.New(fixedTimeHandler{h}).Info("m", "p", panicValuer{})
	})
	const resolveFrame = `called from log/slog.Value.Resolve (`
	cut := func(s string) string {
		i := strings.Index(s, resolveFrame)
		if i < 0 {
			t.Fatalf("no Resolve frame in %q", s)
		}
		return s[:i]
	}
	if diff := cmp.Diff(cut(want), cut(got)); diff != "" {
		t.Errorf("output up to the Resolve frame differs (-slog +handler):\n%s", diff)
	}
	if !strings.Contains(got, `"p":"LogValue panicked\ncalled from github.com/slogstack/slogstack/handler.panicValuer.LogValue (`) {
		t.Errorf("unexpected output %q", got)
	}
	if !strings.Contains(got, "handler.(*encodeState).appendAttr") || !strings.HasSuffix(got, "(rest of stack elided)\\n\"}\n") {
		t.Errorf("stack does not name the handler's frames: %q", got)
	}
}

// shortWriter writes half of what it is given and reports no error,
// breaking the io.Writer contract.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestJSONHandlerShortWriteIsAnError(t *testing.T) {
	h := NewJSONHandler(shortWriter{}, nil)
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "hello", 0)
	if err := h.Handle(t.Context(), r); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("Handle on a short write = %v, want io.ErrShortWrite", err)
	}
}
