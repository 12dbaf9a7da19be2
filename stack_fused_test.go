package slogstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
	"go.opentelemetry.io/otel/trace"
)

// plainHandler passes every call on to next and is nothing more than a
// slog.Handler: put between two layers, it hides whatever else the next
// one can do, so the layer above it takes its unfused path (a rebuilt
// record, its own walk) as it would over any handler of the user's.
type plainHandler struct{ next slog.Handler }

func (h plainHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }
func (h plainHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(ctx, r)
}
func (h plainHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return plainHandler{h.next.WithAttrs(as)}
}
func (h plainHandler) WithGroup(name string) slog.Handler {
	return plainHandler{h.next.WithGroup(name)}
}

// levelHandler refuses records below level, as the top of a stack built
// by NewStackWithSink does before any layer (the sink's own level may be
// lower).
type levelHandler struct {
	next  slog.Handler
	level slog.Leveler
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.next.Enabled(ctx, l)
}
func (h levelHandler) Handle(ctx context.Context, r slog.Record) error { return h.next.Handle(ctx, r) }
func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{h.next.WithAttrs(as), h.level}
}
func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.next.WithGroup(name), h.level}
}

// unfusedStack is the stack cfg describes, built by hand in the builder's
// order with a plainHandler under every layer.
type unfusedStack struct {
	top     slog.Handler
	agg     *aggregation.Handler
	queue   *async.Writer
	records *async.Handler
}

// newUnfusedStack builds, by hand, the stack NewStack(w, cfg) builds or,
// with sink, the one NewStackWithSink builds over a JSON handler on w.
func newUnfusedStack(w io.Writer, cfg Config, sink bool) *unfusedStack {
	u := &unfusedStack{}
	var h slog.Handler
	if sink {
		h = plainHandler{handler.NewJSONHandler(w, nil)}
		if cfg.Async {
			u.records = async.NewHandler(h, cfg.AsyncOptions)
			h = plainHandler{u.records}
		}
		h = plainHandler{levelHandler{h, cfg.level()}}
	} else {
		if cfg.Async {
			u.queue = async.NewWriter(w, cfg.AsyncOptions)
			w = u.queue
		}
		h = plainHandler{handler.NewJSONHandler(w, &slog.HandlerOptions{
			Level: cfg.level(), AddSource: cfg.AddSource, ReplaceAttr: cfg.ReplaceAttr})}
	}
	if cfg.Redact {
		h = plainHandler{redact.NewHandler(h, cfg.RedactOptions)}
	}
	if cfg.Aggregation {
		u.agg = aggregation.NewHandler(h, cfg.AggregationOptions)
		h = plainHandler{u.agg}
	}
	if cfg.Correlation {
		h = plainHandler{scope.NewHandler(h, cfg.Scope)}
	}
	if cfg.Sampling {
		h = sampling.NewHandler(h, cfg.SamplingOptions)
	}
	u.top = h
	return u
}

func (u *unfusedStack) close(ctx context.Context) error {
	var errs []error
	if u.agg != nil {
		errs = append(errs, u.agg.Close(ctx))
	}
	if u.queue != nil {
		errs = append(errs, u.queue.Close(ctx))
	}
	if u.records != nil {
		errs = append(errs, u.records.Close(ctx))
	}
	return errors.Join(errs...)
}

// TestFusedStackWritesUnfusedBytes builds random stacks with the builder,
// whose adjacent layers hand records down in one walk, and the same
// stacks by hand with every layer kept apart, logs the same random records
// through both (random kinds, groups, With and WithGroup chains, secrets,
// LogValuers, system records, errors that keep a request, scopes with and
// without a span) and checks that both write the same bytes.
func TestFusedStackWritesUnfusedBytes(t *testing.T) {
	leakcheck.Check(t)
	for seed := range uint64(60) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			cfg := randomFusedConfig(rng)
			var fusedOut, unfusedOut bytes.Buffer
			sink := seed%3 == 0 // NewStackWithSink, whose layers sit over async.Handler
			var stack *Stack
			var err error
			if sink {
				cfg.ReplaceAttr, cfg.AddSource = nil, false
				stack, err = NewStackWithSink(handler.NewJSONHandler(&fusedOut, nil), cfg)
			} else {
				stack, err = NewStack(&fusedOut, cfg)
			}
			if err != nil {
				t.Fatal(err)
			}
			unfused := newUnfusedStack(&unfusedOut, cfg, sink)
			script := randomScript(rng, cfg)
			script.run(t, stack.Handler(), stack.ScopeOptions("/orders"))
			script.run(t, unfused.top, scope.Options{Name: "/orders", Policy: stack.decider})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := stack.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if err := unfused.close(ctx); err != nil {
				t.Fatal(err)
			}
			got, want := normaliseSummaries(fusedOut.String()), normaliseSummaries(unfusedOut.String())
			if got == "" && script.expectsOutput {
				t.Fatalf("nothing written; the script logs records that must be written")
			}
			if d := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); d != "" {
				t.Errorf("config %s\nfused stack %s\n(-unfused +fused):\n%s", cfg, stack, d)
			}
		})
	}
}

// summaryTime matches the time of a summary line, which is the time it is
// written at, not a record's.
var summaryTime = regexp.MustCompile(`(?m)^\{"time":"[^"]*"(.*"_aggregated":true)`)

func normaliseSummaries(s string) string {
	return summaryTime.ReplaceAllString(s, `{"time":"(written)"$1`)
}

// randomFusedConfig switches the layers on and off at random, with
// sampling that keeps or drops requests, buffering on or off, and encoder
// options that change what is written.
func randomFusedConfig(rng *rand.Rand) Config {
	cfg := DefaultConfig()
	cfg.Redact = rng.IntN(4) > 0
	cfg.Aggregation = rng.IntN(3) > 0
	cfg.Correlation = rng.IntN(4) > 0
	cfg.Sampling = rng.IntN(4) > 0
	cfg.Async = rng.IntN(2) == 0
	cfg.Scope.OmitTrace = rng.IntN(3) == 0
	cfg.SamplingPolicy.Rate = []float64{0, 1, 1}[rng.IntN(3)]
	if rng.IntN(2) == 0 {
		cfg.SamplingOptions.MaxRequestRecords = 0
	}
	cfg.AggregationOptions.Burst = rng.IntN(3)
	cfg.AddSource = rng.IntN(4) == 0
	if rng.IntN(4) == 0 {
		cfg.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "drop":
				return slog.Attr{}
			case "rename":
				a.Key = "renamed"
			case "n":
				return slog.Group("regrouped", slog.Any("inner", a.Value))
			}
			return a
		}
	}
	return cfg
}

// script is a sequence of log calls, replayed identically on two stacks.
type script struct {
	correlationID string
	span          trace.SpanContext
	endErr        error
	calls         []call
	expectsOutput bool
}

// call is one log call on a logger derived with the chain ops.
type call struct {
	ops   []chainOp
	level slog.Level
	msg   string
	attrs []slog.Attr
	inReq bool // logged with the request's context
}

// chainOp is a WithAttrs (attrs) or WithGroup (group) call.
type chainOp struct {
	group string
	attrs []slog.Attr
}

func randomScript(rng *rand.Rand, cfg Config) *script {
	s := &script{correlationID: fmt.Sprintf("req-%d", rng.IntN(1000))}
	if rng.IntN(2) == 0 {
		s.span = trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1, 2, 3, byte(rng.IntN(256))}, SpanID: trace.SpanID{4, 5, 6},
			TraceFlags: trace.FlagsSampled})
	}
	if rng.IntN(4) == 0 {
		s.endErr = errors.New("request failed")
	}
	for range 5 + rng.IntN(25) {
		c := call{level: []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelInfo, slog.LevelWarn, slog.LevelError}[rng.IntN(5)],
			msg:   []string{"request handled", "Connection pool size", "password=hunter2 in message", ""}[rng.IntN(4)],
			inReq: rng.IntN(5) > 0}
		for range rng.IntN(3) {
			if rng.IntN(2) == 0 {
				c.ops = append(c.ops, chainOp{group: []string{"g", "auth", "http"}[rng.IntN(3)]})
			} else {
				c.ops = append(c.ops, chainOp{attrs: randomAttrs(rng, 1+rng.IntN(3), 1)})
			}
		}
		c.attrs = randomAttrs(rng, rng.IntN(12), 2)
		if rng.IntN(6) == 0 {
			c.attrs = append(c.attrs, aggregation.System())
		}
		s.calls = append(s.calls, c)
		if c.level >= slog.LevelError || !cfg.Sampling || cfg.SamplingPolicy.Rate == 1 || !c.inReq {
			s.expectsOutput = s.expectsOutput || c.level >= slog.LevelInfo
		}
	}
	return s
}

// recordTime is the time of every record of the scripts: now, so that no
// aggregation window ends while a script runs.
var recordTime = time.Now()

// run replays the script on top, as slog.Logger would call it, in a scope
// opened with opts, ended with the script's error.
func (s *script) run(t *testing.T, top slog.Handler, opts scope.Options) {
	t.Helper()
	opts.CorrelationID = s.correlationID
	opts.CompletionLog = false
	base := context.Background()
	if s.span.IsValid() {
		base = trace.ContextWithSpanContext(base, s.span)
	}
	ctx, end := scope.Start(base, opts)
	for _, c := range s.calls {
		h := top
		for _, op := range c.ops {
			if op.group != "" {
				h = h.WithGroup(op.group)
			} else {
				h = h.WithAttrs(op.attrs)
			}
		}
		cctx := base
		if c.inReq {
			cctx = ctx
		}
		if !h.Enabled(cctx, c.level) {
			continue
		}
		r := slog.NewRecord(recordTime, c.level, c.msg, 0)
		r.AddAttrs(c.attrs...)
		_ = h.Handle(cctx, r) // a sink error is the same on both stacks
	}
	end(s.endErr)
}

// randomAttrs returns n attributes of random kinds, with groups nested up
// to depth, secrets in keys and values, and LogValuers.
func randomAttrs(rng *rand.Rand, n, depth int) []slog.Attr {
	keys := []string{"method", "path", "status", "password", "authorization", "n", "drop", "rename", "card", "", "token", "user.email"}
	as := make([]slog.Attr, 0, n)
	for range n {
		k := keys[rng.IntN(len(keys))]
		var v slog.Value
		switch rng.IntN(14) {
		case 0:
			v = slog.StringValue([]string{"GET", "/api/v1/orders/42", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "4111 1111 1111 1111", "a\"b\\c\n", ""}[rng.IntN(6)])
		case 1:
			v = slog.IntValue(rng.IntN(1000) - 500)
		case 2:
			v = slog.Uint64Value(rng.Uint64())
		case 3:
			v = slog.Float64Value([]float64{0.5, 1e21, -3}[rng.IntN(3)])
		case 4:
			v = slog.BoolValue(rng.IntN(2) == 0)
		case 5:
			v = slog.TimeValue(recordTime.Add(time.Duration(rng.IntN(1000)) * time.Millisecond))
		case 6:
			v = slog.DurationValue(time.Duration(rng.IntN(1e9)))
		case 7:
			v = slog.AnyValue(errors.New("dial tcp: password=secret123"))
		case 8:
			v = slog.AnyValue(map[string]any{"user": "ann", "password": "x", "n": 1})
		case 9:
			v = slog.AnyValue(struct {
				Name  string
				Token string
			}{"ann", "tok_4111111111111111"})
		case 10:
			v = slog.AnyValue(fusedValuer{rng.IntN(3)})
		case 11:
			v = slog.AnyValue([]byte("bytes"))
		default:
			if depth > 0 {
				v = slog.GroupValue(randomAttrs(rng, rng.IntN(4), depth-1)...)
			} else {
				v = slog.StringValue("leaf")
			}
		}
		as = append(as, slog.Attr{Key: k, Value: v})
	}
	return as
}

// fusedValuer is a LogValuer resolving to a secret, a group or a string.
type fusedValuer struct{ kind int }

func (v fusedValuer) LogValue() slog.Value {
	switch v.kind {
	case 0:
		return slog.StringValue("Bearer abc.def.ghi")
	case 1:
		return slog.GroupValue(slog.String("password", "p"), slog.Int("n", 1))
	default:
		return slog.StringValue("plain")
	}
}
