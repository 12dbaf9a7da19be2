package handler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/fuse"
)

// lineRewrite is the attribute rewrite a fused layer applies while it
// drives the encoder: every third attribute's value is masked, the others
// pass as they are (groups, LogValuers and all).
func lineRewrite(i int, a slog.Attr) slog.Attr {
	if i%3 == 1 {
		return slog.String(a.Key, "[MASKED]")
	}
	return a
}

// lineMessage is the message a fused layer passes to Begin for a record
// whose own message is msg: changed for every other record.
func lineMessage(i int, msg string) string {
	if i%2 == 1 {
		return "masked:" + msg
	}
	return msg
}

// equivalentRecord is the record whose Handle must write what the Line
// path writes for r with the message msg and the attributes rewritten.
func equivalentRecord(r slog.Record, msg string) slog.Record {
	out := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	i := 0
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(lineRewrite(i, a))
		i++
		return true
	})
	return out
}

// writeLine writes r through the encoder of h with the message msg and the
// attributes rewritten, as a fused layer does.
func writeLine(t testing.TB, h slog.Handler, r slog.Record, msg string) error {
	enc, ok := fuse.EncoderOf(h)
	if !ok {
		t.Fatalf("fuse.EncoderOf(%T) found no encoder", h)
	}
	line := enc.Begin(r, msg, r.NumAttrs() > 0)
	i := 0
	r.Attrs(func(a slog.Attr) bool {
		line.Attr(lineRewrite(i, a))
		i++
		return true
	})
	return line.End()
}

// lineOutputs runs sc three ways, each with its own writer: the equivalent
// records through slog.JSONHandler and through JSONHandler.Handle, and the
// records through JSONHandler's Line path. It returns the three outputs.
func lineOutputs(t testing.TB, sc scenario) (slogOut, handleOut, lineOut string) {
	build := func(h slog.Handler) slog.Handler {
		for _, step := range sc.steps {
			h = step(h)
		}
		return h
	}
	var sb, hb, lb bytes.Buffer
	sh := build(slog.NewJSONHandler(&sb, sc.opts))
	hh := build(NewJSONHandler(&hb, sc.opts))
	lh := build(NewJSONHandler(&lb, sc.opts))
	for i, r := range sc.recs {
		msg := lineMessage(i, r.Message)
		eq := equivalentRecord(r, msg)
		_ = sh.Handle(context.Background(), eq)
		_ = hh.Handle(context.Background(), eq)
		if err := writeLine(t, lh, r, msg); err != nil {
			t.Fatalf("Line.End: %v", err)
		}
	}
	return sb.String(), hb.String(), lb.String()
}

// checkLineOutputs fails t if the three outputs of lineOutputs differ.
func checkLineOutputs(t testing.TB, sc scenario, input []byte) {
	t.Helper()
	slogOut, handleOut, lineOut := lineOutputs(t, sc)
	if diff := cmp.Diff(handleOut, lineOut); diff != "" {
		t.Fatalf("Line path differs from Handle (-Handle +Line):\n%s\ninput: %q", diff, input)
	}
	if diff := cmp.Diff(slogOut, lineOut); diff != "" {
		t.Fatalf("Line path differs from slog.JSONHandler (-slog +Line):\n%s\ninput: %q", diff, input)
	}
}

// TestEncoderLineMatchesHandleRandom requires the Line path to write, for
// random records (every kind, nested and empty groups, LogValuers,
// With/WithGroup chains, ReplaceAttr that drops, renames and regroups,
// AddSource, zero times), exactly what Handle and slog.JSONHandler write
// for the equivalent records.
func TestEncoderLineMatchesHandleRandom(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 512)
	for range n {
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		checkLineOutputs(t, newScenario(data), data)
	}
}

// FuzzEncoderLineMatchesHandle is TestEncoderLineMatchesHandleRandom over
// fuzz input.
func FuzzEncoderLineMatchesHandle(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLineOutputs(t, newScenario(data), data)
	})
}

// TestEncoderLineEdgeCases pins the group rules of the Line path on
// hand-written cases: no attributes (no groups opened), attributes all
// elided (the opened groups removed), and hasAttrs with no Attr call.
func TestEncoderLineEdgeCases(t *testing.T) {
	drop := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "drop" {
			return slog.Attr{}
		}
		return a
	}
	tm := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name     string
		opts     *slog.HandlerOptions
		hasAttrs bool
		attrs    []slog.Attr
		want     string
	}{
		{"no attrs", nil, false, nil,
			`{"time":"2026-01-02T03:04:05.000000006Z","level":"INFO","msg":"m","w":1}` + "\n"},
		{"one attr", nil, true, []slog.Attr{slog.Int("a", 1)},
			`{"time":"2026-01-02T03:04:05.000000006Z","level":"INFO","msg":"m","w":1,"g":{"a":1}}` + "\n"},
		{"all elided", &slog.HandlerOptions{ReplaceAttr: drop}, true, []slog.Attr{slog.Int("drop", 1), {}},
			`{"time":"2026-01-02T03:04:05.000000006Z","level":"INFO","msg":"m","w":1}` + "\n"},
		{"hasAttrs, none given", nil, true, nil,
			`{"time":"2026-01-02T03:04:05.000000006Z","level":"INFO","msg":"m","w":1}` + "\n"},
		{"empty group", nil, true, []slog.Attr{slog.Group("e")},
			`{"time":"2026-01-02T03:04:05.000000006Z","level":"INFO","msg":"m","w":1,"g":{}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := NewJSONHandler(&buf, tt.opts).WithAttrs([]slog.Attr{slog.Int("w", 1)}).WithGroup("g")
			enc, ok := fuse.EncoderOf(h)
			if !ok {
				t.Fatal("no encoder")
			}
			line := enc.Begin(slog.NewRecord(tm, slog.LevelInfo, "ignored", 0), "m", tt.hasAttrs)
			for _, a := range tt.attrs {
				line.Attr(a)
			}
			if err := line.End(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncoderOf checks which handlers have an encoder: a JSONHandler and
// the handlers derived from it, and nothing else.
func TestEncoderOf(t *testing.T) {
	jh := NewJSONHandler(io.Discard, nil)
	tests := []struct {
		name string
		h    slog.Handler
		want bool
	}{
		{"JSONHandler", jh, true},
		{"WithAttrs", jh.WithAttrs([]slog.Attr{slog.Int("a", 1)}), true},
		{"WithGroup", jh.WithGroup("g"), true},
		{"nil *JSONHandler", (*JSONHandler)(nil), false},
		{"slog.JSONHandler", slog.NewJSONHandler(io.Discard, nil), false},
		{"other handler", noopHandler{}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if _, got := fuse.EncoderOf(tt.h); got != tt.want {
			t.Errorf("%s: EncoderOf found an encoder: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestEncoderLineReturnsWriteError checks that End returns what Handle
// returns: the writer's error, or io.ErrShortWrite on a silent short write.
func TestEncoderLineReturnsWriteError(t *testing.T) {
	for _, tt := range []struct {
		w    io.Writer
		want string
	}{{errWriter{}, "disk full"}, {shortWriter{}, io.ErrShortWrite.Error()}, {io.Discard, "<nil>"}} {
		h := NewJSONHandler(tt.w, nil)
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
		handleErr := h.Handle(context.Background(), r)
		enc, _ := fuse.EncoderOf(h)
		lineErr := enc.Begin(r, "m", false).End()
		if fmt.Sprint(handleErr) != tt.want || fmt.Sprint(lineErr) != tt.want {
			t.Errorf("%T: Handle returned %v, End %v, want %v", tt.w, handleErr, lineErr, tt.want)
		}
	}
}

// TestEncoderLineAllocsAsHandle asserts that the Line path allocates what
// Handle allocates for the same record: nothing after warm-up.
func TestEncoderLineAllocsAsHandle(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	ctx := context.Background()
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", testPC)
	r.AddAttrs(slog.String("method", "GET"), slog.String("path", "/api/v1/users"), slog.Int("status", 200),
		slog.Duration("latency", 1500*time.Microsecond), slog.Int64("bytes", 5120), slog.Bool("ok", true),
		slog.Time("at", time.Now()), slog.Any("err", errStatic), slog.Group("g", slog.Int("a", 1)))
	for _, opts := range []*slog.HandlerOptions{nil, {AddSource: true},
		{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return a }}} {
		h := NewJSONHandler(io.Discard, opts).WithAttrs([]slog.Attr{slog.String("service", "api")}).WithGroup("req")
		enc, _ := fuse.EncoderOf(h)
		handle := testing.AllocsPerRun(1000, func() { _ = h.Handle(ctx, r) })
		line := testing.AllocsPerRun(1000, func() {
			l := enc.Begin(r, r.Message, true)
			r.Attrs(func(a slog.Attr) bool { l.Attr(a); return true })
			_ = l.End()
		})
		if line != handle {
			t.Errorf("opts %+v: Line path %v allocs per record, Handle %v", opts, line, handle)
		}
		if opts == nil && line != 0 {
			t.Errorf("Line path %v allocs per record, want 0", line)
		}
	}
}

// TestEncoderLineConcurrent drives the Line path of handlers derived from
// one JSONHandler (shared writer and mutex) from several goroutines, each
// holding two lines open at once and finishing them in the other order,
// with a ReplaceAttr that reads the groups slice: every line written must
// be one Handle writes for the same record, whole and not interleaved.
func TestEncoderLineConcurrent(t *testing.T) {
	var out bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) > 0 && a.Key == "v" {
			return slog.String("v", fmt.Sprint(groups, a.Value))
		}
		return a
	}}
	base := NewJSONHandler(&out, opts)
	hs := []slog.Handler{base, base.WithGroup("g"), base.WithAttrs([]slog.Attr{slog.Int("w", 1)}).WithGroup("h").WithGroup("i")}
	record := func(w, n int) slog.Record {
		r := slog.NewRecord(baseTime, slog.LevelInfo, fmt.Sprint("m", w), 0)
		r.AddAttrs(slog.Int("v", n), slog.Group("sub", slog.Int("v", w), slog.String("s", "x\u2028")), slog.Any("m", map[string]int{"n": n}))
		return r
	}
	write := func(l fuse.Line, r slog.Record) {
		r.Attrs(func(a slog.Attr) bool { l.Attr(a); return true })
	}
	const workers, perWorker = 4, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for n := 0; n < perWorker; n += 2 {
				h := hs[(w+n)%len(hs)]
				enc, _ := fuse.EncoderOf(h)
				r1, r2 := record(w, n), record(w, n+1)
				l1 := enc.Begin(r1, r1.Message, true)
				l2 := enc.Begin(r2, r2.Message, true)
				write(l1, r1)
				write(l2, r2)
				_ = l2.End()
				_ = l1.End()
			}
		})
	}
	wg.Wait()

	var want bytes.Buffer
	wantBase := NewJSONHandler(&want, opts)
	whs := []slog.Handler{wantBase, wantBase.WithGroup("g"), wantBase.WithAttrs([]slog.Attr{slog.Int("w", 1)}).WithGroup("h").WithGroup("i")}
	for w := range workers {
		for n := 0; n < perWorker; n += 2 {
			h := whs[(w+n)%len(whs)]
			_ = h.Handle(context.Background(), record(w, n+1))
			_ = h.Handle(context.Background(), record(w, n))
		}
	}
	sortLines := func(s string) []string {
		lines := strings.SplitAfter(s, "\n")
		slices.Sort(lines)
		return lines
	}
	if diff := cmp.Diff(sortLines(want.String()), sortLines(out.String())); diff != "" {
		t.Errorf("lines written concurrently (-Handle +Line):\n%s", diff)
	}
}

// TestEncoderLineUseAfterEndPanics checks that a second End, or an Attr
// after End, by the same caller panics with errLineEnded and writes
// nothing more, for a pooled line and for one too large to pool.
func TestEncoderLineUseAfterEndPanics(t *testing.T) {
	for _, size := range []int{1, maxPooledBufferSize + 1} {
		for _, misuse := range []struct {
			name string
			do   func(fuse.Line)
		}{
			{"End", func(l fuse.Line) { _ = l.End() }},
			{"Attr", func(l fuse.Line) { l.Attr(slog.Int("late", 1)) }},
		} {
			var buf bytes.Buffer
			enc, _ := fuse.EncoderOf(NewJSONHandler(&buf, nil))
			line := enc.Begin(slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0), "m", true)
			line.Attr(slog.String("s", strings.Repeat("x", size)))
			if err := line.End(); err != nil {
				t.Fatal(err)
			}
			written := buf.Len()
			got := func() (r any) {
				defer func() { r = recover() }()
				misuse.do(line)
				return nil
			}()
			if got != errLineEnded || buf.Len() != written {
				t.Errorf("size %d, %s after End: panic %v, %d bytes written after End; want panic %q, none",
					size, misuse.name, got, buf.Len()-written, errLineEnded)
			}
		}
	}
}
