package sampling

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/internal/reqscope"
)

func TestUnscopedPassesUnchanged(t *testing.T) {
	gotSink, next := newJSON(slog.LevelDebug)
	wantSink, plain := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	for _, l := range []*slog.Logger{slog.New(h), slog.New(plain)} {
		l = l.With("service", "api").WithGroup("req")
		l.Debug("a", "n", 1)
		l.InfoContext(context.Background(), "b", slog.Group("g", "x", "y"))
		l.Error("c", "err", errors.New("boom"))
	}
	if got, want := gotSink.String(), wantSink.String(); got != want {
		t.Fatalf("output differs from the next handler's own:\ngot:  %s\nwant: %s", got, want)
	}
	if got := h.Stats().UnscopedPassed; got != 3 {
		t.Fatalf("UnscopedPassed = %d, want 3", got)
	}
}

func TestSampledScopeAnnotates(t *testing.T) {
	for _, d := range []reqscope.Decision{
		sampledBy,
		{Sampled: true, Rate: 1, Reason: reqscope.ReasonPath},
		{Sampled: true, Rate: 0.25, Reason: reqscope.ReasonTrace},
	} {
		t.Run(d.Reason, func(t *testing.T) {
			out, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, DefaultOptions())
			ctx, s := open(d)
			l := slog.New(h)
			l.InfoContext(ctx, "one", "k", "v")
			l.WithGroup("g").With("a", 1).DebugContext(ctx, "two", "b", 2)
			s.End()
			ann := func(m map[string]any) map[string]any {
				m[sampledKey], m[sampleRateKey], m[sampleReasonKey] = true, d.Rate, d.Reason
				return m
			}
			want := []map[string]any{
				ann(rec("INFO", "one", "k", "v")),
				// The annotations stay at the top level under an open group.
				ann(rec("DEBUG", "two", "g", map[string]any{"a": 1.0, "b": 2.0})),
			}
			if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
				t.Fatalf("output (-want +got):\n%s", diff)
			}
			st := h.Stats()
			if st.RecordsPassed != 2 || st.RecordsBuffered != 0 || st.RequestsSampled.Total() != 1 {
				t.Fatalf("stats: %+v", st)
			}
		})
	}
}

func TestNotSampledDroppedAtEnd(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	ctx, s := open(reqscope.Decision{Sampled: false, Rate: 0, Reason: reqscope.ReasonExcluded})
	l := slog.New(h)
	l.DebugContext(ctx, "a")
	l.InfoContext(ctx, "b", "k", strings.Repeat("x", 100))
	l.WarnContext(ctx, "c")
	if st := h.Stats(); st.BufferedRecords != 3 || st.BufferedBytes <= 0 {
		t.Fatalf("while buffering: %+v", st)
	}
	s.End()
	if got := out.String(); got != "" {
		t.Fatalf("records of a dropped request were written: %s", got)
	}
	want := Stats{
		RequestsNotSampled: ReasonCounts{Excluded: 1},
		RequestsDropped:    1,
		RecordsBuffered:    3,
		RecordsDropped:     3,
	}
	if diff := cmp.Diff(want, h.Stats()); diff != "" {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
}

// TestRescueOrder checks that a kept request's buffered records come out
// first, in order, then the trigger, then later records, all annotated.
func TestRescueOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trigger func(l *slog.Logger, ctx context.Context, s *reqscope.Scope)
		want    []map[string]any
	}{
		{
			name:    "error record",
			trigger: func(l *slog.Logger, ctx context.Context, _ *reqscope.Scope) { l.ErrorContext(ctx, "failed", "code", 7) },
			want:    []map[string]any{rec("ERROR", "failed", "code", 7.0)},
		},
		{
			name:    "keep from a 5xx or panic",
			trigger: func(_ *slog.Logger, _ context.Context, s *reqscope.Scope) { s.Keep() },
		},
		{
			name: "two errors",
			trigger: func(l *slog.Logger, ctx context.Context, _ *reqscope.Scope) {
				l.ErrorContext(ctx, "first")
				l.ErrorContext(ctx, "second")
			},
			want: []map[string]any{rec("ERROR", "first"), rec("ERROR", "second")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, DefaultOptions())
			ctx, s := open(notSampled)
			l := slog.New(h)
			l.DebugContext(ctx, "b1")
			l.InfoContext(ctx, "b2", "i", 2)
			l.WarnContext(ctx, "b3")
			if out.String() != "" {
				t.Fatalf("written before the trigger: %s", out.String())
			}
			tc.trigger(l, ctx, s)
			l.DebugContext(ctx, "after")
			s.End()
			l.InfoContext(ctx, "after end")

			want := []map[string]any{rec("DEBUG", "b1"), rec("INFO", "b2", "i", 2.0), rec("WARN", "b3")}
			want = append(want, tc.want...)
			want = append(want, rec("DEBUG", "after"), rec("INFO", "after end"))
			for _, m := range want {
				kept(m, notSampled.Rate)
			}
			if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
				t.Fatalf("output (-want +got):\n%s", diff)
			}
			st := h.Stats()
			passed := uint64(2 + len(tc.want))
			if st.RecordsBuffered != 3 || st.RecordsRescued != 3 || st.RecordsPassed != passed ||
				st.RequestsKept != 1 || st.RequestsDropped != 0 || st.BufferedRecords != 0 || st.BufferedBytes != 0 {
				t.Fatalf("stats: %+v", st)
			}
		})
	}
}

// TestRescueKeepsHandlerChain checks that buffered records are replayed on
// the handler they were logged on, WithAttrs and WithGroup included, and
// come out exactly as they would have from that chain directly.
func TestRescueKeepsHandlerChain(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	wantOut, plain := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	ctx, s := open(notSampled)
	log := func(root *slog.Logger, ctx context.Context) {
		a := root.With("service", "api")
		b := a.WithGroup("req").With("method", "GET")
		c := b.WithGroup("db").With("table", "users")
		a.InfoContext(ctx, "one", "x", 1)
		b.InfoContext(ctx, "two", "y", 2)
		c.WarnContext(ctx, "three", slog.Group("q", "rows", 3))
		a.WithGroup("empty").InfoContext(ctx, "four")
	}
	log(slog.New(h), ctx)
	// The same records through the plain handler, with the annotations at
	// the top level where the sampling handler puts them.
	log(slog.New(plain.WithAttrs(annotationAttrs(notSampled.Rate, reqscope.ReasonError))), context.Background())
	if out.String() != "" {
		t.Fatal("written before keep")
	}
	s.Keep()
	if diff := cmp.Diff(wantOut.Lines(t), out.Lines(t)); diff != "" {
		t.Fatalf("replayed output (-want +got):\n%s", diff)
	}
	s.End()
}

func TestReplayChecksNextEnabled(t *testing.T) {
	var level slog.LevelVar
	out, next := newJSON(&level)
	h := NewHandler(next, DefaultOptions())
	ctx, s := open(notSampled)
	l := slog.New(h)
	l.InfoContext(ctx, "info")
	l.WarnContext(ctx, "warn")
	level.Set(slog.LevelWarn)
	l.ErrorContext(ctx, "err")
	s.End()
	want := []map[string]any{kept(rec("WARN", "warn"), 0.1), kept(rec("ERROR", "err"), 0.1)}
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	if st := h.Stats(); st.RecordsFiltered != 1 || st.RecordsRescued != 1 {
		t.Fatalf("stats: %+v", st)
	}
	// Records the next handler refuses when logged are not buffered.
	ctx2, s2 := open(notSampled)
	l.InfoContext(ctx2, "refused")
	if st := h.Stats(); st.RecordsBuffered != 2 {
		t.Fatalf("a record the next handler refuses was buffered: %+v", st)
	}
	s2.End()
}

func TestAfterEnd(t *testing.T) {
	t.Run("not kept", func(t *testing.T) {
		out, next := newJSON(slog.LevelDebug)
		h := NewHandler(next, DefaultOptions())
		ctx, s := open(notSampled)
		l := slog.New(h)
		l.InfoContext(ctx, "during")
		s.End()
		l.InfoContext(ctx, "late info")
		if out.String() != "" {
			t.Fatalf("late record of a dropped request written: %s", out.String())
		}
		l.ErrorContext(ctx, "late error")
		l.InfoContext(ctx, "later info")
		want := []map[string]any{kept(rec("ERROR", "late error"), 0.1), kept(rec("INFO", "later info"), 0.1)}
		if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
			t.Fatalf("output (-want +got):\n%s", diff)
		}
		st := h.Stats()
		if st.RecordsDropped != 1 || st.RecordsDiscarded != 1 || st.RecordsPassed != 2 || st.BufferedRecords != 0 {
			t.Fatalf("stats: %+v", st)
		}
		if _, ok := s.Lookup(h.sh); ok {
			t.Fatal("an ended scope still holds the handler's state")
		}
	})
	t.Run("kept", func(t *testing.T) {
		out, next := newJSON(slog.LevelDebug)
		h := NewHandler(next, DefaultOptions())
		ctx, s := open(notSampled)
		s.Keep()
		s.End()
		slog.New(h).InfoContext(ctx, "late")
		want := []map[string]any{kept(rec("INFO", "late"), 0.1)}
		if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
			t.Fatalf("output (-want +got):\n%s", diff)
		}
		if st := h.Stats(); st.RecordsBuffered != 0 {
			t.Fatalf("a done request buffered: %+v", st)
		}
	})
	t.Run("sampled", func(t *testing.T) {
		out, next := newJSON(slog.LevelDebug)
		h := NewHandler(next, DefaultOptions())
		ctx, s := open(sampledBy)
		s.End()
		slog.New(h).InfoContext(ctx, "late")
		if n := len(out.Lines(t)); n != 1 {
			t.Fatalf("%d records, want 1", n)
		}
	})
}

// TestBufferingOff: with the zero Options (no buffer), a request that is
// not sampled writes only from its first ERROR on, Enabled refuses its
// records below ERROR, and a dropped call allocates nothing.
func TestBufferingOff(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, Options{})
	ctx, s := open(notSampled)
	if h.Enabled(ctx, slog.LevelWarn) {
		t.Fatal("Enabled(WARN) for a request not sampled with buffering off")
	}
	if !h.Enabled(ctx, slog.LevelError) {
		t.Fatal("Enabled(ERROR) false")
	}
	if !h.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("Enabled without a scope false")
	}
	l := slog.New(h)
	l.InfoContext(ctx, "dropped")
	// A direct Handle call (bypassing Enabled) is dropped and counted.
	if err := h.Handle(ctx, slog.NewRecord(time0, slog.LevelInfo, "direct", 0)); err != nil {
		t.Fatal(err)
	}
	l.ErrorContext(ctx, "err")
	if !h.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("Enabled false for a kept request")
	}
	l.InfoContext(ctx, "after")
	s.End()
	want := []map[string]any{kept(rec("ERROR", "err"), 0.1), kept(rec("INFO", "after"), 0.1)}
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	want2 := Stats{
		RequestsNotSampled: ReasonCounts{Rate: 1},
		RequestsKept:       1,
		RecordsPassed:      2,
		RecordsDiscarded:   1,
	}
	if diff := cmp.Diff(want2, h.Stats()); diff != "" {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
	// A not-sampled, buffering-off call allocates nothing.
	ctx3, s3 := open(notSampled)
	defer s3.End()
	if n := testing.AllocsPerRun(100, func() { l.LogAttrs(ctx3, slog.LevelInfo, "x", slog.Int("a", 1)) }); n != 0 {
		t.Fatalf("%v allocs per dropped call", n)
	}
}

func TestUnscopedSampling(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, Options{SampleUnscoped: true, UnscopedRate: 0.5})
	l := slog.New(h)
	ids := []string{"", "a", "abc", "req-1", "req-2", "order:42", "x.y_z-1", "01HZX3K9Q8V6"}
	var want []map[string]any
	for _, id := range ids {
		l.Info("by id", "correlation_id", id)
		l.With("correlation_id", id).Info("by with")
		l.WithGroup("g").With("correlation_id", id).Info("nested id does not key")
		if Decide(id, 0.5) {
			for _, m := range []map[string]any{rec("INFO", "by id", "correlation_id", id), rec("INFO", "by with", "correlation_id", id)} {
				m[sampledKey], m[sampleRateKey], m[sampleReasonKey] = true, 0.5, reqscope.ReasonRate
				want = append(want, m)
			}
		}
	}
	l.Error("always")
	m := rec("ERROR", "always")
	m[sampledKey], m[sampleRateKey], m[sampleReasonKey] = true, 0.5, reqscope.ReasonError
	want = append(want, m)
	got := out.Lines(t)
	var keyed []map[string]any
	nested := 0
	for _, m := range got {
		if m["msg"] == "nested id does not key" {
			nested++
			if m[sampleReasonKey] != reasonRecord {
				t.Fatalf("random sample has reason %v", m[sampleReasonKey])
			}
			continue
		}
		keyed = append(keyed, m)
	}
	if diff := cmp.Diff(want, keyed); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	st := h.Stats()
	if st.UnscopedPassed+st.UnscopedDropped != uint64(3*len(ids)+1) || st.UnscopedPassed != uint64(len(got)) {
		t.Fatalf("stats %+v for %d written", st, len(got))
	}
	// Records without a key are sampled at random near the rate.
	before := h.Stats().UnscopedPassed
	for i := 0; i < 4000; i++ {
		l.Debug("random")
	}
	if n := h.Stats().UnscopedPassed - before; n < 1700 || n > 2300 {
		t.Fatalf("%d of 4000 random records passed at rate 0.5", n)
	}
}

// TestPipeComposition: composed with slogmulti.Pipe through a closure over
// NewHandler, the handler samples as it does alone, and the closure keeps
// the handle to its Stats. Each call of the closure makes a handler with
// its own buffers and counters. (A PipeBuilder's Handler consumes its
// middlewares, so each stack is built with its own Pipe.)
func TestPipeComposition(t *testing.T) {
	var handles []*Handler
	sampler := func(next slog.Handler) slog.Handler {
		h := NewHandler(next, DefaultOptions())
		handles = append(handles, h)
		return h
	}
	out, next := newJSON(slog.LevelDebug)
	other, otherNext := newJSON(slog.LevelDebug)
	l := slog.New(slogmulti.Pipe(sampler).Handler(next))
	slog.New(slogmulti.Pipe(sampler).Handler(otherNext)).Info("no scope")

	ctx, s := open(notSampled)
	l.InfoContext(ctx, "dropped")
	s.End()
	ctx, s = open(notSampled)
	l.InfoContext(ctx, "rescued")
	l.ErrorContext(ctx, "failed")
	s.End()

	want := []map[string]any{kept(rec("INFO", "rescued"), 0.1), kept(rec("ERROR", "failed"), 0.1)}
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]map[string]any{rec("INFO", "no scope")}, other.Lines(t)); diff != "" {
		t.Fatalf("second pipe's output (-want +got):\n%s", diff)
	}
	if len(handles) != 2 {
		t.Fatalf("%d handlers built, want 2", len(handles))
	}
	wantStats := []Stats{{
		RequestsNotSampled: ReasonCounts{Rate: 2},
		RequestsKept:       1,
		RequestsDropped:    1,
		RecordsPassed:      1,
		RecordsBuffered:    2,
		RecordsRescued:     1,
		RecordsDropped:     1,
	}, {
		UnscopedPassed: 1,
	}}
	gotStats := []Stats{handles[0].Stats(), handles[1].Stats()}
	if diff := cmp.Diff(wantStats, gotStats); diff != "" {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
}

func TestWithEmptyReturnsReceiver(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	if h.WithAttrs(nil) != slog.Handler(h) || h.WithGroup("") != slog.Handler(h) {
		t.Fatal("WithAttrs(nil) or WithGroup(\"\") did not return the receiver")
	}
}

// errHandler returns an error from Handle.
type errHandler struct{ slog.Handler }

func (errHandler) Handle(context.Context, slog.Record) error { return errors.New("sink down") }
func (e errHandler) WithAttrs(a []slog.Attr) slog.Handler    { return errHandler{e.Handler.WithAttrs(a)} }
func (e errHandler) WithGroup(n string) slog.Handler         { return errHandler{e.Handler.WithGroup(n)} }

func TestNextErrors(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(errHandler{next}, DefaultOptions())
	ctx, s := open(notSampled)
	if err := h.Handle(ctx, slog.NewRecord(time0, slog.LevelInfo, "buffered", 0)); err != nil {
		t.Fatalf("buffering returned %v", err)
	}
	if err := h.Handle(ctx, slog.NewRecord(time0, slog.LevelError, "trigger", 0)); err == nil {
		t.Fatal("the trigger's error was not returned")
	}
	s.End()
	if st := h.Stats(); st.HandleErrors != 1 {
		t.Fatalf("HandleErrors = %d, want 1", st.HandleErrors)
	}
}

func TestNewHandlerNilNextPanics(t *testing.T) {
	defer func() {
		const want = "sampling: NewHandler: nil next handler"
		if got := recover(); got != want {
			t.Fatalf("panic %#v, want %q", got, want)
		}
	}()
	NewHandler(nil, DefaultOptions())
}
