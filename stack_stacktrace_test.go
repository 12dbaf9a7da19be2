package slogstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/counter"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// here returns the first frame of a stack trace taken at its call site,
// as captureStack writes it: "function\n\tfile:line".
func here() string {
	pc, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s\n\t%s:%d", runtime.FuncForPC(pc).Name(), file, line)
}

// nextLine returns the first frame of a stack trace taken on the line
// after its call.
func nextLine() string {
	pc, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s\n\t%s:%d", runtime.FuncForPC(pc).Name(), file, line+1)
}

// firstFrame returns the first frame of a stack trace attribute.
func firstFrame(t *testing.T, line map[string]any) string {
	t.Helper()
	st, ok := line[stacktraceKey].(string)
	if !ok {
		t.Fatalf("record %v has no string %q", line, stacktraceKey)
	}
	fn, rest, _ := strings.Cut(st, "\n")
	loc, _, _ := strings.Cut(rest, "\n")
	return fn + "\n" + loc
}

// stacktraceStacks builds the stacks a stack trace must work with: NewStack
// and NewStackWithSink, synchronous and async.
func stacktraceStacks(t *testing.T, cfg Config, out *logtest.Buffer) map[string]*Stack {
	t.Helper()
	stacks := map[string]*Stack{}
	for _, async := range []bool{false, true} {
		c := cfg
		c.Async, c.AsyncOptions = async, DefaultConfig().AsyncOptions
		c.ReplaceAttr = logtest.DropTime
		s, err := NewStack(out, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
		stacks[fmt.Sprintf("NewStack async=%v", async)] = s
		c.ReplaceAttr = nil // the sink's to apply
		sink, err := NewStackWithSink(out.JSONHandler(nil), c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sink.Shutdown(context.Background()) })
		stacks[fmt.Sprintf("NewStackWithSink async=%v", async)] = sink
	}
	return stacks
}

// TestStacktraceStartsAtTheLoggingCall checks that the stack trace starts
// at the frame that logged, through every Logger method, a With/WithGroup
// chain, both builders, sync and async: it is captured on the caller's
// goroutine.
func TestStacktraceStartsAtTheLoggingCall(t *testing.T) {
	leakcheck.Check(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		log  func(l *slog.Logger) string // logs one ERROR record, returns where
		in   string                      // the group the record's attributes are in
	}{
		{"Error", func(l *slog.Logger) string { w := here(); l.Error("boom"); return w }, ""},
		{"ErrorContext", func(l *slog.Logger) string { w := here(); l.ErrorContext(ctx, "boom"); return w }, ""},
		{"Log", func(l *slog.Logger) string { w := here(); l.Log(ctx, slog.LevelError, "boom"); return w }, ""},
		{"LogAttrs", func(l *slog.Logger) string { w := here(); l.LogAttrs(ctx, slog.LevelError, "boom"); return w }, ""},
		{"through a handler of the caller's", func(l *slog.Logger) string {
			w := nextLine()
			slog.New(passOn{l.Handler()}).Error("boom")
			return w
		}, ""},
		{"With and WithGroup", func(l *slog.Logger) string {
			w := nextLine()
			l.With("k", "v").WithGroup("g").Error("boom", "n", 1)
			return w
		}, "g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out logtest.Buffer
			cfg := Config{Stacktrace: true, StacktraceLevel: slog.LevelError}
			for name, s := range stacktraceStacks(t, cfg, &out) {
				out.Reset()
				want := tc.log(s.Logger())
				if err := s.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
				lines := out.Lines(t)
				if len(lines) != 1 {
					t.Fatalf("%s: %d records, want 1", name, len(lines))
				}
				line := lines[0]
				if tc.in != "" {
					line, _ = line[tc.in].(map[string]any)
				}
				if got := firstFrame(t, line); got != want {
					t.Errorf("%s: first frame\n%s\nwant\n%s", name, got, want)
				}
			}
		})
	}
}

// passOn is a handler of the caller's own that wraps the stack's.
type passOn struct{ slog.Handler }

//go:noinline
func (p passOn) Handle(ctx context.Context, r slog.Record) error {
	return p.Handler.Handle(ctx, r)
}

// pcElsewhere returns a PC of a frame that is no longer on the stack.
func pcElsewhere() uintptr {
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	return pcs[0]
}

// TestStacktraceWithoutTheRecordsPC checks the start of the stack trace
// when the record's PC is 0 or not on the stack: the first frame outside
// log/slog and the stack's top handler, here the one calling Handle.
func TestStacktraceWithoutTheRecordsPC(t *testing.T) {
	for _, tc := range []struct {
		name string
		pc   uintptr
	}{
		{"no PC", 0},
		{"PC not on the stack", pcElsewhere()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out logtest.Buffer
			s, err := NewStackWithSink(out.JSONHandler(nil), Config{Stacktrace: true, StacktraceLevel: slog.LevelWarn})
			if err != nil {
				t.Fatal(err)
			}
			r := slog.NewRecord(time.Time{}, slog.LevelWarn, "direct", tc.pc)
			want := nextLine()
			_ = s.Handler().Handle(context.Background(), r)
			lines := out.Lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d records, want 1", len(lines))
			}
			if got := firstFrame(t, lines[0]); got != want {
				t.Errorf("first frame\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// recurse calls f at depth n below the caller.
//
//go:noinline
func recurse(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	recurse(n-1, f)
}

// TestStacktraceBounded checks that a deep stack is cut at maxStackFrames
// frames, the logging call first, in zap's layout.
func TestStacktraceBounded(t *testing.T) {
	for _, tc := range []struct {
		depth, wantFrames int
	}{
		{0, -1}, // as deep as the test's own stack
		{100, maxStackFrames},
		{1000, maxStackFrames},
	} {
		var out logtest.Buffer
		s, err := NewStackWithSink(out.JSONHandler(nil), Config{Stacktrace: true, StacktraceLevel: slog.LevelError})
		if err != nil {
			t.Fatal(err)
		}
		var want string
		recurse(tc.depth, func() { want = here(); s.Logger().Error("deep") })
		lines := out.Lines(t)
		st := lines[0][stacktraceKey].(string)
		frames := strings.Split(st, "\n")
		if len(frames)%2 != 0 {
			t.Fatalf("depth %d: odd number of lines: %q", tc.depth, st)
		}
		for i := 1; i < len(frames); i += 2 {
			if !strings.HasPrefix(frames[i], "\t") || strings.HasPrefix(frames[i-1], "\t") {
				t.Fatalf("depth %d: frame %d is not function, tab, file:line: %q %q", tc.depth, i/2, frames[i-1], frames[i])
			}
			if strings.HasPrefix(frames[i-1], "log/slog.") || strings.Contains(frames[i-1], "stackHandler") {
				t.Errorf("depth %d: frame of the logging machinery: %s", tc.depth, frames[i-1])
			}
		}
		if got := frames[0] + "\n" + frames[1]; got != want {
			t.Errorf("depth %d: first frame\n%s\nwant\n%s", tc.depth, got, want)
		}
		if tc.wantFrames > 0 && len(frames)/2 != tc.wantFrames {
			t.Errorf("depth %d: %d frames, want %d", tc.depth, len(frames)/2, tc.wantFrames)
		}
		if tc.wantFrames < 0 && !strings.Contains(st, "testing.tRunner") {
			t.Errorf("depth %d: a shallow stack is cut: %q", tc.depth, st)
		}
	}
}

// TestStacktraceLevels checks which records get a stack trace: those at
// or above StacktraceLevel that the stack's level lets through (also when
// Handle is called without Enabled), none when Stacktrace is off.
func TestStacktraceLevels(t *testing.T) {
	all := []string{"DEBUG", "INFO", "WARN", "ERROR", "ERROR+4"}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // the messages that carry a stack trace
	}{
		{"off", Config{Level: slog.LevelDebug}, nil},
		{"off with a level", Config{Level: slog.LevelDebug, StacktraceLevel: slog.LevelDebug}, nil},
		{"from error", Config{Level: slog.LevelDebug, Stacktrace: true, StacktraceLevel: slog.LevelError}, all[3:]},
		{"from warn", Config{Level: slog.LevelDebug, Stacktrace: true, StacktraceLevel: slog.LevelWarn}, all[2:]},
		{"zero level is info", Config{Level: slog.LevelDebug, Stacktrace: true}, all[1:]},
		{"below the stack's level", Config{Level: slog.LevelWarn, Stacktrace: true, StacktraceLevel: slog.LevelDebug}, all[2:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, direct := range []bool{false, true} {
				var out logtest.Buffer
				s, err := NewStackWithSink(out.JSONHandler(slog.LevelDebug), tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 4} {
					if direct {
						_ = s.Handler().Handle(ctx, slog.NewRecord(time.Time{}, l, l.String(), 0))
					} else {
						s.Logger().Log(ctx, l, l.String())
					}
				}
				var got []string
				for _, line := range out.Lines(t) {
					if _, ok := line[stacktraceKey]; ok {
						got = append(got, line["msg"].(string))
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("direct=%v: records with a stack trace (-want +got):\n%s", direct, diff)
				}
			}
		})
	}
}

// TestStacktraceLeavesTheCallersRecord checks that adding the stack trace
// does not touch the record the caller handed in, even one whose attribute
// slice has room to grow: handling it twice (as a caller may) gives two
// records with one stack trace each and the caller's record unchanged.
func TestStacktraceLeavesTheCallersRecord(t *testing.T) {
	var out logtest.Buffer
	s, err := NewStackWithSink(out.JSONHandler(nil), Config{Stacktrace: true, StacktraceLevel: slog.LevelError})
	if err != nil {
		t.Fatal(err)
	}
	r := slog.NewRecord(time.Time{}, slog.LevelError, "mine", 0)
	for i := range 8 { // one by one, so that the slice past the inline ones has spare capacity
		r.AddAttrs(slog.Int(fmt.Sprint("a", i), i))
	}
	for range 2 {
		if err := s.Handler().Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if r.NumAttrs() != 8 {
		t.Errorf("the caller's record has %d attributes, want 8", r.NumAttrs())
	}
	for _, line := range out.Lines(t) {
		if _, ok := line[stacktraceKey]; !ok || len(line) != 2+8+1 {
			t.Errorf("record %v: want level, msg, 8 attributes and one stack trace", line)
		}
	}
}

// TestStacktraceCostsNothingWhenNotTaken checks that a record that gets no
// stack trace (the option off, or the record below its level) costs the
// top handler no allocation.
func TestStacktraceCostsNothingWhenNotTaken(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		rule  stacktraceRule
		level slog.Level
	}{
		{"off", stacktraceRule{}, slog.LevelError},
		{"below its level", stacktraceRule{on: true, level: slog.LevelError}, slog.LevelWarn},
	} {
		h := &stackHandler{next: logtest.Nop{}, level: slog.LevelInfo, records: new(counter.Counter), stacktrace: tc.rule}
		r := slog.NewRecord(time.Now(), tc.level, "msg", 0)
		r.AddAttrs(slog.Int("n", 1))
		if allocs := testing.AllocsPerRun(100, func() { _ = h.Handle(ctx, r) }); allocs != 0 {
			t.Errorf("%s: %v allocations per record, want 0", tc.name, allocs)
		}
	}
}

// TestStacktraceThroughDefaultConfig checks the stack trace through every
// layer of DefaultConfig: an ERROR that would match the aggregation rules
// is not folded and keeps its stack trace; in a request that is not
// sampled, the WARN it rescues carries the stack trace taken when it was
// logged (on the handler's goroutine, before it was buffered); redaction
// leaves the frames as they are.
func TestStacktraceThroughDefaultConfig(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.Stacktrace, cfg.StacktraceLevel, cfg.ReplaceAttr = true, slog.LevelWarn, logtest.DropTime
	cfg.SamplingPolicy = sampling.Policy{Rate: 0}
	cfg.HTTP.AccessLog = false
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wantWarn, wantErr string
	var wg sync.WaitGroup
	wg.Add(1)
	serve(t, s, "/orders", "req-1", func(w http.ResponseWriter, r *http.Request) {
		defer wg.Done()
		wantWarn = nextLine()
		s.Logger().WarnContext(r.Context(), "slow", "token", "secret-value-123")
		wantErr = nextLine()
		s.Logger().ErrorContext(r.Context(), "Connection pool size exhausted")
	})
	wg.Wait()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := out.Lines(t)
	if len(lines) != 2 {
		t.Fatalf("%d records, want the rescued WARN and the ERROR: %v", len(lines), lines)
	}
	for i, want := range []string{wantWarn, wantErr} {
		if got := firstFrame(t, lines[i]); got != want {
			t.Errorf("record %d: first frame\n%s\nwant\n%s", i, got, want)
		}
		if _, folded := lines[i]["_aggregated"]; folded {
			t.Errorf("record %d folded: %v", i, lines[i])
		}
	}
	if lines[0]["token"] != "[REDACTED]" {
		t.Errorf("token %v, want it redacted", lines[0]["token"])
	}
}

// BenchmarkStacktrace measures the top handler's cost per ERROR record
// with stack traces off, and on (a capture of the test's stack).
func BenchmarkStacktrace(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		rule stacktraceRule
	}{
		{"off", stacktraceRule{}},
		{"on", stacktraceRule{on: true, level: slog.LevelError}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := &stackHandler{next: logtest.Nop{}, level: slog.LevelInfo, records: new(counter.Counter), stacktrace: tc.rule}
			logger := slog.New(h)
			b.ReportAllocs()
			for b.Loop() {
				logger.LogAttrs(ctx, slog.LevelError, "failed", slog.Int("n", 1))
			}
		})
	}
}

// TestStacktraceNotOnTheLibrarysOwnRecords checks that the records the
// library writes itself (a 5xx access record, a job's completion record
// at ERROR) carry no stack trace, which would show only the library's
// frames, while the caller's ERROR record in the same request has one.
func TestStacktraceNotOnTheLibrarysOwnRecords(t *testing.T) {
	leakcheck.Check(t)
	cfg := DevelopmentConfig()
	cfg.Format, cfg.Async, cfg.ReplaceAttr = FormatJSON, false, logtest.DropTime
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wantErr string
	var wg sync.WaitGroup
	wg.Add(1)
	serve(t, s, "/orders", "req-1", func(w http.ResponseWriter, r *http.Request) {
		defer wg.Done()
		wantErr = nextLine()
		s.Logger().ErrorContext(r.Context(), "order failed")
		w.WriteHeader(http.StatusInternalServerError)
	})
	wg.Wait()
	_, end := scope.Start(context.Background(), s.ScopeOptions("job/nightly"))
	end(errors.New("disk full"))
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range out.Lines(t) {
		_, traced := line[stacktraceKey]
		got = append(got, fmt.Sprintf("%v traced=%v", line["msg"], traced))
		if line["msg"] == "order failed" {
			if f := firstFrame(t, line); f != wantErr {
				t.Errorf("first frame\n%s\nwant\n%s", f, wantErr)
			}
		}
	}
	want := []string{"order failed traced=true", "request completed traced=false", "scope completed traced=false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
