package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
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

var stackRows = []stackRow{
	{"floor", func(testing.TB, io.Writer) stackSetup {
		return stackSetup{logger: Bind(slog.New(FloorHandler{})), level: slog.LevelInfo}
	}},
	{"slogstack-json", func(_ testing.TB, w io.Writer) stackSetup {
		return stackSetup{logger: Bind(slog.New(handler.NewJSONHandler(w, nil))), level: slog.LevelInfo}
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
	{"stack-sampled-asyncwriter", onStack(StackConfig(1, true), QueueBytes, slog.LevelInfo)},
	{"stack-unsampled-nobuf", onStack(StackConfig(0, false), QueueRecords, slog.LevelInfo)},
	{"stack-unsampled-buf", onStack(StackConfig(0, true), QueueRecords, slog.LevelInfo)},
	{"stack-debug", onStack(StackConfig(1, true), QueueRecords, slog.LevelDebug)},
}

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

// BenchmarkStack measures the caller's cost of one record through the
// whole stack (see Stack) for a sampled request, a request not sampled
// with buffering off and on, and a call at a disabled level, next to
// handler.JSONHandler alone, the floor and the cost of the request scopes
// alone, all to io.Discard.
func BenchmarkStack(b *testing.B) {
	for _, row := range stackRows {
		for _, parallel := range []bool{false, true} {
			b.Run(row.name+"/"+modeName(parallel), func(b *testing.B) {
				s := row.open(b, io.Discard)
				b.ReportAllocs()
				b.ResetTimer()
				if parallel {
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
				if s.close != nil {
					if _, err := s.close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// modeName names a serial or parallel benchmark variant.
func modeName(parallel bool) string {
	if parallel {
		return "parallel"
	}
	return "serial"
}

// TestStackRows checks what each stack row writes for one request of
// RecordsPerRequest records: every record of a sampled request, with the
// payload and the sampling keys; nothing for a request not sampled or for
// calls at a disabled level.
func TestStackRows(t *testing.T) {
	leakcheck.Check(t)
	wantLines := map[string]int{
		"floor": 0, "slogstack-json": RecordsPerRequest, "scope-only": 0,
		"stack-sampled": RecordsPerRequest, "stack-sampled-asyncwriter": RecordsPerRequest, "stack-unsampled-nobuf": 0, "stack-unsampled-buf": 0, "stack-debug": 0,
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
