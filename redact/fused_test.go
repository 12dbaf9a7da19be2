package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/fuse"
)

// passThrough hides everything of the handler it wraps but slog.Handler:
// its encoder and HandleTail. Under it, Handler takes the unfused path.
type passThrough struct{ next slog.Handler }

func (p passThrough) Enabled(ctx context.Context, l slog.Level) bool { return p.next.Enabled(ctx, l) }
func (p passThrough) Handle(ctx context.Context, r slog.Record) error {
	return p.next.Handle(ctx, r)
}
func (p passThrough) WithAttrs(as []slog.Attr) slog.Handler {
	return passThrough{p.next.WithAttrs(as)}
}
func (p passThrough) WithGroup(name string) slog.Handler { return passThrough{p.next.WithGroup(name)} }

// encodingSink is a handler whose encoder (found by fuse.EncoderOf once
// useFakeEncoder is called) writes through the handler it wraps, so that
// the fused path is tested whatever the module's JSON handler provides.
type encodingSink struct{ slog.Handler }

func (s encodingSink) WithAttrs(as []slog.Attr) slog.Handler {
	return encodingSink{s.Handler.WithAttrs(as)}
}
func (s encodingSink) WithGroup(name string) slog.Handler {
	return encodingSink{s.Handler.WithGroup(name)}
}

// fakeEncoder builds the record its lines describe and hands it to sink.
type fakeEncoder struct{ sink slog.Handler }

func (e fakeEncoder) Begin(r slog.Record, msg string, hasAttrs bool) fuse.Line {
	return &fakeLine{sink: e.sink, r: slog.NewRecord(r.Time, r.Level, msg, r.PC), hasAttrs: hasAttrs}
}

type fakeLine struct {
	sink     slog.Handler
	r        slog.Record
	hasAttrs bool
	ended    bool
}

func (l *fakeLine) Attr(a slog.Attr) { l.r.AddAttrs(a) }

// End writes the record; it fails when the line was ended before, or when
// Begin was told wrongly whether attributes follow.
func (l *fakeLine) End() error {
	if l.ended {
		return errors.New("fakeLine: End called twice")
	}
	l.ended = true
	if l.hasAttrs != (l.r.NumAttrs() > 0) {
		return fmt.Errorf("fakeLine: Begin told hasAttrs=%v, record has %d attributes", l.hasAttrs, l.r.NumAttrs())
	}
	return l.sink.Handle(context.Background(), l.r)
}

// useFakeEncoder makes fuse.EncoderOf find a fakeEncoder for every
// encodingSink until the test ends.
func useFakeEncoder(t testing.TB) {
	prev := fuse.EncoderOf
	fuse.EncoderOf = func(h slog.Handler) (fuse.Encoder, bool) {
		if s, ok := h.(encodingSink); ok {
			return fakeEncoder{s.Handler}, true
		}
		return prev(h)
	}
	t.Cleanup(func() { fuse.EncoderOf = prev })
}

// valuer is a LogValuer returning v.
type valuer struct{ v slog.Value }

func (l valuer) LogValue() slog.Value { return l.v }

// loginReq is a structured value with a secret field.
type loginReq struct {
	User     string `json:"user"`
	Password string `json:"password,omitempty"`
}

var (
	fuzzKeys = []string{"path", "status", "password", "token_count", "correlation_id", "trace_id", "auth",
		"url=https://u:p4ss@h/", "", "note", "apiKey", "Bearer " + secretBearer}
	fuzzTexts = []string{"", "/api/v1/orders/42", "request handled", "Bearer " + secretBearer, secretJWT,
		"card " + secretCard, "https://svc:s3cret@billing.internal/v1", "password=hunter2 ok", `{"token":"t-1","n":2}`,
		secretAWS, "tenant:acme:token:abc123", "-----BEGIN", "4111111111111112"}
	fuzzGroups = []string{"g", "auth", "password", "Bearer " + secretBearer, "req"}
)

// randomValue returns a value of a random kind; depth bounds groups.
func randomValue(rng *rand.Rand, depth int) slog.Value {
	text := func() string { return fuzzTexts[rng.IntN(len(fuzzTexts))] }
	switch rng.IntN(15) {
	case 0:
		return slog.IntValue(rng.IntN(1000) - 500)
	case 1:
		return slog.Int64Value(4111111111111111)
	case 2:
		return slog.Uint64Value([]uint64{7, 5500005555555559}[rng.IntN(2)])
	case 3:
		return slog.Float64Value([]float64{0.5, 4111111111111111}[rng.IntN(2)])
	case 4:
		return slog.BoolValue(rng.IntN(2) == 0)
	case 5:
		return slog.DurationValue(time.Duration(rng.IntN(1e9)))
	case 6:
		return slog.TimeValue(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	case 7:
		return slog.AnyValue(errors.New("failed: " + text()))
	case 8:
		if depth > 0 {
			return slog.AnyValue(valuer{randomValue(rng, depth-1)})
		}
		return slog.AnyValue(valuer{slog.GroupValue()}) // resolves to an empty group
	case 9:
		return slog.AnyValue(loginReq{User: "bob", Password: text()})
	case 10:
		return slog.AnyValue(map[string]any{"k": text(), "token": "t"})
	case 11:
		return slog.AnyValue([]byte(text()))
	case 12:
		if depth > 0 {
			return slog.GroupValue(randomAttrs(rng, rng.IntN(3), depth-1)...)
		}
	}
	return slog.StringValue(text())
}

func randomAttrs(rng *rand.Rand, n, depth int) []slog.Attr {
	attrs := make([]slog.Attr, n)
	for i := range attrs {
		attrs[i] = slog.Attr{Key: fuzzKeys[rng.IntN(len(fuzzKeys))], Value: randomValue(rng, depth)}
	}
	return attrs
}

// fusedCase is one random logging scenario, applied to two handlers.
type fusedCase struct {
	derive []func(slog.Handler) slog.Handler // With and WithGroup, in order
	record slog.Record
	tail   fuse.Tail
}

func newFusedCase(seed uint64) fusedCase {
	rng := rand.New(rand.NewPCG(seed, seed>>32|1))
	var c fusedCase
	for range rng.IntN(4) {
		if rng.IntN(2) == 0 {
			attrs := randomAttrs(rng, 1+rng.IntN(3), 2)
			c.derive = append(c.derive, func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
		} else {
			name := fuzzGroups[rng.IntN(len(fuzzGroups))]
			c.derive = append(c.derive, func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
		}
	}
	msg := fuzzTexts[rng.IntN(len(fuzzTexts))]
	c.record = slog.NewRecord(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC), slog.Level(4*(rng.IntN(4)-1)), msg, 0)
	if rng.IntN(8) == 0 {
		// Only a LogValuer that resolves to an empty group: the masked
		// record has no attributes left.
		c.record.AddAttrs(slog.Any("empty", valuer{slog.GroupValue()}))
	} else {
		c.record.AddAttrs(randomAttrs(rng, rng.IntN(9), rng.IntN(3))...)
	}
	for range rng.IntN(fuse.MaxTail + 1) {
		switch rng.IntN(3) {
		case 0:
			c.tail.Add(slog.String("correlation_id", "tenant:acme:token:abc123"))
		case 1:
			c.tail.Add(slog.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"))
		default:
			c.tail.Add(randomAttrs(rng, 1, 1)[0])
		}
	}
	return c
}

// run logs the case through h (derived as the case says) and returns the
// Stats of h. With whole set, the tail is added to the record and the
// record handed to Handle, as a layer without HandleTail would.
func (c *fusedCase) run(t testing.TB, h *Handler, whole bool) Stats {
	var sh slog.Handler = h
	for _, d := range c.derive {
		sh = d(sh)
	}
	var err error
	if whole {
		err = sh.Handle(context.Background(), c.tail.Record(c.record))
	} else {
		err = sh.(fuse.Handler).HandleTail(context.Background(), c.record, c.tail)
	}
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return h.Stats()
}

// fusedSinks are the handlers fused and unfused redaction write through:
// the module's JSON handler (fused when it provides an encoder), and
// slog.JSONHandler behind the fake encoder.
var fusedSinks = []struct {
	name  string
	open  func(w io.Writer) slog.Handler
	fused func(slog.Handler) slog.Handler
}{
	{"handler.JSONHandler", func(w io.Writer) slog.Handler { return handler.NewJSONHandler(w, nil) },
		func(h slog.Handler) slog.Handler { return h }},
	{"fake encoder", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		func(h slog.Handler) slog.Handler { return encodingSink{h} }},
}

// checkFusedMatchesUnfused runs the case of seed through redaction over a
// sink both fused and behind passThrough, and compares bytes and Stats;
// and, unfused, HandleTail with Handle on the record with the tail added.
func checkFusedMatchesUnfused(t *testing.T, seed uint64) {
	for _, sink := range fusedSinks {
		var fusedOut, unfusedOut, wholeOut bytes.Buffer
		fused := NewHandler(sink.fused(sink.open(&fusedOut)), DefaultOptions())
		unfused := NewHandler(passThrough{sink.open(&unfusedOut)}, DefaultOptions())
		whole := NewHandler(passThrough{sink.open(&wholeOut)}, DefaultOptions())
		if unfused.enc != nil {
			t.Fatal("Handler found an encoder behind passThrough")
		}
		c := newFusedCase(seed)
		fs, us, ws := c.run(t, fused, false), c.run(t, unfused, false), c.run(t, whole, true)
		if diff := cmp.Diff(wholeOut.String(), unfusedOut.String()); diff != "" {
			t.Fatalf("%s, seed %d: HandleTail output differs (-Handle +HandleTail):\n%s", sink.name, seed, diff)
		}
		if diff := cmp.Diff(ws, us); diff != "" {
			t.Fatalf("%s, seed %d: HandleTail Stats differ (-Handle +HandleTail):\n%s", sink.name, seed, diff)
		}
		if diff := cmp.Diff(unfusedOut.String(), fusedOut.String()); diff != "" {
			t.Fatalf("%s, seed %d: fused output differs (-unfused +fused):\n%s", sink.name, seed, diff)
		}
		if diff := cmp.Diff(us, fs); diff != "" {
			t.Fatalf("%s, seed %d: fused Stats differ (-unfused +fused):\n%s", sink.name, seed, diff)
		}
		if !json.Valid(fusedOut.Bytes()) {
			t.Fatalf("%s, seed %d: output is not JSON:\n%s", sink.name, seed, fusedOut.String())
		}
	}
}

// TestFusedMatchesUnfused checks, for random records (every kind, groups,
// With and WithGroup including secret group names, secrets in keys,
// values and the message, errors, LogValuers, structured values, tails),
// that redaction driving the next handler's encoder writes the same bytes
// and counts the same Stats as redaction passing records to its Handle.
func TestFusedMatchesUnfused(t *testing.T) {
	useFakeEncoder(t)
	if _, ok := fuse.EncoderOf(encodingSink{}); !ok {
		t.Fatal("the fake encoder is not found")
	}
	for seed := range uint64(400) {
		checkFusedMatchesUnfused(t, seed)
	}
}

// FuzzFusedMatchesUnfused is TestFusedMatchesUnfused over fuzzed seeds.
func FuzzFusedMatchesUnfused(f *testing.F) {
	f.Add(uint64(1))
	f.Add(uint64(1 << 40))
	f.Fuzz(func(t *testing.T, seed uint64) {
		useFakeEncoder(t)
		checkFusedMatchesUnfused(t, seed)
	})
}

// reusedLine is an Encoder and Line that keeps nothing and never
// allocates, so that an allocation measured through it is the fused
// path's own. It is for one goroutine.
type reusedLine struct{ attrs, lines int }

func (l *reusedLine) Begin(slog.Record, string, bool) fuse.Line { l.lines++; return l }
func (l *reusedLine) Attr(slog.Attr)                            { l.attrs++ }
func (l *reusedLine) End() error                                { return nil }

// TestFusedCleanRecordZeroAllocs checks that masking a record without
// secrets, with a tail, through an encoder costs no allocation of the
// fused path's own, and that redaction over the module's JSON handler
// allocates no more per record than that handler alone.
func TestFusedCleanRecordZeroAllocs(t *testing.T) {
	ctx := context.Background()
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.String("path", "/api/v1/orders/42"), slog.Int("status", 200),
		slog.Duration("latency", 1500*time.Microsecond), slog.Int("bytes", 5120), slog.Bool("ok", true))
	var tail fuse.Tail
	tail.Add(slog.String("correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736"))

	enc := &reusedLine{}
	h := NewHandler(noopHandler{}, DefaultOptions())
	h.enc = enc
	if n := testing.AllocsPerRun(200, func() { _ = h.HandleTail(ctx, r, tail) }); n != 0 {
		t.Errorf("fused HandleTail allocates %v times per clean record, want 0", n)
	}
	if enc.attrs != 201*7 || enc.lines != 201 {
		t.Errorf("encoder got %d attributes in %d lines, want %d in %d", enc.attrs, enc.lines, 201*7, 201)
	}

	plain := handler.NewJSONHandler(io.Discard, nil).WithAttrs([]slog.Attr{slog.String("service", "orders")})
	redacted := NewHandler(handler.NewJSONHandler(io.Discard, nil), DefaultOptions()).
		WithAttrs([]slog.Attr{slog.String("service", "orders")})
	want := testing.AllocsPerRun(200, func() { _ = plain.Handle(ctx, r) })
	if got := testing.AllocsPerRun(200, func() { _ = redacted.Handle(ctx, r) }); got != want {
		t.Errorf("redaction over handler.JSONHandler allocates %v times per clean record, the handler alone %v", got, want)
	}
}
