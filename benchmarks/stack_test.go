package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// RecordsPerRequest is how many records a request logs in the stack
// benchmarks: each benchmark goroutine opens a request scope, logs this
// many records with its context, ends it and opens the next. The scope's
// opening and end are timed, amortised over its records.
const RecordsPerRequest = 16

// stackSetup is one row of BenchmarkStack, opened.
type stackSetup struct {
	logger  *slog.Logger                          // nil: log nothing (scope-only)
	request func() (context.Context, func(error)) // nil: log without a request scope
	level   slog.Level                            // the level of every call
	close   func() (uint64, error)
}

// stackRow opens a stackSetup on a writer.
type stackRow struct {
	name string
	open func(tb testing.TB, w io.Writer) stackSetup
}

// onStack opens NewStack with cfg and the queue q, logging at lvl in
// request scopes opened with the stack's options.
func onStack(cfg slogstack.Config, q Queue, lvl slog.Level) func(testing.TB, io.Writer) stackSetup {
	return func(tb testing.TB, w io.Writer) stackSetup {
		s, err := NewStack(w, cfg, q)
		if err != nil {
			tb.Fatal(err)
		}
		return stackSetup{logger: s.Logger, request: s.Request, level: lvl, close: s.Close}
	}
}

// DeepContextValues is how many context.WithValue layers the -deepctx
// rows put over the request scope's context, as middleware stacks do
// (tracing, auth, tenant, locale...), so that a lookup of the scope has to
// walk past them.
const DeepContextValues = 10

// deepContextKey keys the values of a deep context; each layer has its own.
type deepContextKey int

// deepen returns a request opener whose contexts carry DeepContextValues
// values layered over the scope's context.
func deepen(request func() (context.Context, func(error))) func() (context.Context, func(error)) {
	return func() (context.Context, func(error)) {
		ctx, end := request()
		for i := range DeepContextValues {
			ctx = context.WithValue(ctx, deepContextKey(i), i)
		}
		return ctx, end
	}
}

// deepRow is row with its request contexts deepened, named name.
func deepRow(name string, open func(testing.TB, io.Writer) stackSetup) stackRow {
	return stackRow{name, func(tb testing.TB, w io.Writer) stackSetup {
		s := open(tb, w)
		s.request = deepen(s.request)
		return s
	}}
}

// SlogDisabledName is the stack row of a call at a disabled level through
// slog.Logger over slog.JSONHandler: the reference of the not-sampled
// target with buffering off.
const SlogDisabledName = "slog-disabled"

var stackRows = []stackRow{
	{"floor", func(testing.TB, io.Writer) stackSetup {
		return stackSetup{logger: Bind(slog.New(FloorHandler{})), level: slog.LevelInfo}
	}},
	{"slogstack-json", func(_ testing.TB, w io.Writer) stackSetup {
		return stackSetup{logger: Bind(slog.New(handler.NewJSONHandler(w, nil))), level: slog.LevelInfo}
	}},
	// An Info call on a logger whose slog.JSONHandler is at Warn: Enabled
	// says no and slog.Logger returns before building a Record.
	{SlogDisabledName, func(_ testing.TB, w io.Writer) stackSetup {
		h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})
		return stackSetup{logger: Bind(slog.New(h)), level: slog.LevelInfo}
	}},
	// The zero Config builds no layer and owns no goroutine; its scopes
	// are sampled (sampling is off), so this row is the cost of opening
	// and ending the scopes alone.
	{"scope-only", func(tb testing.TB, w io.Writer) stackSetup {
		s, err := NewStack(w, slogstack.Config{}, QueueRecords)
		if err != nil {
			tb.Fatal(err)
		}
		return stackSetup{request: s.Request}
	}},
	{"stack-sampled", onStack(StackConfig(1, true), QueueRecords, slog.LevelInfo)},
	deepRow("stack-sampled-deepctx", onStack(StackConfig(1, true), QueueRecords, slog.LevelInfo)),
	{"stack-sampled-asyncwriter", onStack(StackConfig(1, true), QueueBytes, slog.LevelInfo)},
	{"stack-unsampled-nobuf", onStack(StackConfig(0, false), QueueRecords, slog.LevelInfo)},
	deepRow("stack-unsampled-nobuf-deepctx", onStack(StackConfig(0, false), QueueRecords, slog.LevelInfo)),
	{"stack-unsampled-buf", onStack(StackConfig(0, true), QueueRecords, slog.LevelInfo)},
	deepRow("stack-unsampled-buf-deepctx", onStack(StackConfig(0, true), QueueRecords, slog.LevelInfo)),
	{"stack-debug", onStack(StackConfig(1, true), QueueRecords, slog.LevelDebug)},
}

// inScopeRows are the rows also measured per record inside one long
// request scope (the inscope variant): the not-sampled rows, whose
// targets are per record.
var inScopeRows = map[string]bool{
	"stack-unsampled-nobuf": true, "stack-unsampled-nobuf-deepctx": true,
	"stack-unsampled-buf": true, "stack-unsampled-buf-deepctx": true,
}

// InScopeRecords is the length of the request scopes of the inscope
// variant, whose opening and end are not timed: within the default
// per-request buffer bound (512 records), so that a buffered record is
// kept, not dropped for the bound.
const InScopeRecords = 256

// requester logs through a stackSetup as one goroutine serving requests
// one after the other, RecordsPerRequest records each.
type requester struct {
	s   stackSetup
	ctx context.Context
	end func(error)
	n   int
}

func newRequester(s stackSetup) *requester {
	return &requester{s: s, ctx: context.Background()}
}

// log logs one record, opening a request scope first or ending it after
// as the count says.
func (r *requester) log() {
	if r.s.request != nil && r.n == 0 {
		r.ctx, r.end = r.s.request()
	}
	if r.s.logger != nil {
		LogAttrs(r.ctx, r.s.logger, r.s.level)
	}
	if r.n++; r.n == RecordsPerRequest {
		r.finish()
	}
}

// finish ends the open request scope, if any.
func (r *requester) finish() {
	if r.end != nil {
		r.end(nil)
		r.ctx, r.end = context.Background(), nil
	}
	r.n = 0
}

// stackModes are the variants of BenchmarkStack: serial, b.RunParallel
// with GOMAXPROCS goroutines, and with 4×GOMAXPROCS goroutines
// (b.SetParallelism(4)), as a server runs more requests than it has CPUs.
var stackModes = []struct {
	name        string
	parallelism int // 0: serial
}{
	{"serial", 0},
	{"parallel", 1},
	{"parallel4x", 4},
}

// BenchmarkStack measures the caller's cost of one record through the
// whole stack (see Stack) for a sampled request, a request not sampled
// with buffering off and on, and a call at a disabled level, next to
// handler.JSONHandler alone, the floor, a disabled slog call and the cost
// of the request scopes alone, all to io.Discard. The -deepctx rows log
// with DeepContextValues values layered over the scope's context. Every
// mode opens a request scope per RecordsPerRequest records and times its
// opening and end; the serial-inscope variant of the not-sampled rows
// times only the records, in scopes of InScopeRecords records.
func BenchmarkStack(b *testing.B) {
	for _, row := range stackRows {
		for _, m := range stackModes {
			b.Run(row.name+"/"+m.name, func(b *testing.B) {
				s := row.open(b, io.Discard)
				b.ReportAllocs()
				b.ResetTimer()
				if m.parallelism > 0 {
					b.SetParallelism(m.parallelism)
					b.RunParallel(func(pb *testing.PB) {
						r := newRequester(s)
						for pb.Next() {
							r.log()
						}
						r.finish()
					})
				} else {
					r := newRequester(s)
					for range b.N {
						r.log()
					}
					r.finish()
				}
				b.StopTimer()
				closeStack(b, s)
			})
		}
		if inScopeRows[row.name] {
			b.Run(row.name+"/serial-inscope", func(b *testing.B) { benchInScope(b, row) })
		}
	}
}

// benchInScope times the records of row alone: scopes of InScopeRecords
// records, opened and ended with the timer stopped.
func benchInScope(b *testing.B, row stackRow) {
	s := row.open(b, io.Discard)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		ctx, end := s.request()
		b.StartTimer()
		n := min(InScopeRecords, b.N-done)
		for range n {
			LogAttrs(ctx, s.logger, s.level)
		}
		done += n
		b.StopTimer()
		end(nil)
		b.StartTimer()
	}
	b.StopTimer()
	closeStack(b, s)
}

// closeStack closes s, if it has anything to close.
func closeStack(b *testing.B, s stackSetup) {
	if s.close != nil {
		if _, err := s.close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStackRows checks what each stack row writes for one request of
// RecordsPerRequest records: every record of a sampled request, with the
// payload and the sampling keys; nothing for a request not sampled or for
// calls at a disabled level.
func TestStackRows(t *testing.T) {
	leakcheck.Check(t)
	wantLines := map[string]int{
		"floor": 0, "slogstack-json": RecordsPerRequest, SlogDisabledName: 0, "scope-only": 0,
		"stack-sampled": RecordsPerRequest, "stack-sampled-deepctx": RecordsPerRequest, "stack-sampled-asyncwriter": RecordsPerRequest,
		"stack-unsampled-nobuf": 0, "stack-unsampled-nobuf-deepctx": 0, "stack-unsampled-buf": 0, "stack-unsampled-buf-deepctx": 0,
		"stack-debug": 0,
	}
	for _, row := range stackRows {
		t.Run(row.name, func(t *testing.T) {
			var buf bytes.Buffer
			s := row.open(t, &buf)
			r := newRequester(s)
			for range RecordsPerRequest {
				r.log()
			}
			r.finish()
			if s.close != nil {
				dropped, err := s.close()
				if err != nil || dropped != 0 {
					t.Fatalf("close: dropped %d, %v", dropped, err)
				}
			}
			lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
			if buf.Len() == 0 {
				lines = nil
			}
			if len(lines) != wantLines[row.name] {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), wantLines[row.name], buf.String())
			}
			for _, line := range lines {
				checkPayload(t, line, false)
				if !strings.HasPrefix(row.name, "stack-sampled") {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal(line, &m); err != nil {
					t.Fatal(err)
				}
				got := map[string]any{"_sampled": m["_sampled"], "_sample_rate": m["_sample_rate"], "_sample_reason": m["_sample_reason"]}
				want := map[string]any{"_sampled": true, "_sample_rate": 1.0, "_sample_reason": "rate"}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("sampling keys (-want +got):\n%s\nline: %s", d, line)
				}
			}
		})
	}
}

// TestStackLayers checks that the stack rows measure what the public
// builder assembles from slogstack.DefaultConfig, for both queues.
func TestStackLayers(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		q    Queue
		want string
	}{
		{QueueRecords, "sampling.Handler -> scope.Handler -> aggregation.Handler -> redact.Handler -> async.Handler -> sink"},
		{QueueBytes, "sampling.Handler -> scope.Handler -> aggregation.Handler -> redact.Handler -> handler.JSONHandler -> async.Writer -> io.Writer"},
	} {
		s, err := NewStack(io.Discard, StackConfig(1, true), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.stack.String(); got != tc.want {
			t.Errorf("queue %d: layers %q, want %q", tc.q, got, tc.want)
		}
		if _, err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunScriptProfilesEveryStackRow checks that run.sh's PROFILE_ROWS
// names every row of BenchmarkStack, in order, so that each has its CPU
// profile on the page.
func TestRunScriptProfilesEveryStackRow(t *testing.T) {
	script, err := os.ReadFile("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.SplitSeq(string(script), "\n") {
		if v, ok := strings.CutPrefix(line, "PROFILE_ROWS="); ok {
			got = strings.Fields(strings.Trim(v, `"`))
		}
	}
	var want []string
	for _, row := range stackRows {
		want = append(want, row.name)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("run.sh PROFILE_ROWS (-stackRows +run.sh):\n%s", d)
	}
}
