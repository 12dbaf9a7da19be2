package slogstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// composed is one stack under test: its top handler, the layers whose
// Stats account for records and whose Close must run, and the policy its
// scopes are opened with.
type composed struct {
	top         slog.Handler
	policy      sampling.Decider
	redacts     bool
	stack       *Stack
	sampling    *sampling.Handler
	aggregation *aggregation.Handler
	async       *async.Handler
}

// close flushes and closes the layers, summaries first.
func (c *composed) close(ctx context.Context) error {
	if c.stack != nil {
		return c.stack.Shutdown(ctx)
	}
	var errs []error
	if c.aggregation != nil {
		errs = append(errs, c.aggregation.Close(ctx))
	}
	if c.async != nil {
		errs = append(errs, c.async.Close(ctx))
	}
	return errors.Join(errs...)
}

// ledger is what the layers say they did with records, once closed.
type ledger struct {
	absorbed      uint64 // records removed from the flow and counted
	foldedWritten uint64 // records folded into written summaries
	open          int64  // records still buffered or in open summaries
}

func (c *composed) ledger() ledger {
	var sa *sampling.Stats
	var ag *aggregation.Stats
	var as *async.Stats
	if c.stack != nil {
		st := c.stack.Stats()
		sa, ag, as = st.Sampling, st.Aggregation, st.Async
	} else {
		if c.sampling != nil {
			v := c.sampling.Stats()
			sa = &v
		}
		if c.aggregation != nil {
			v := c.aggregation.Stats()
			ag = &v
		}
		if c.async != nil {
			v := c.async.Stats()
			as = &v
		}
	}
	var l ledger
	if sa != nil {
		l.absorbed += sa.RecordsDropped + sa.RecordsDiscarded + sa.RecordsLostRequestBound +
			sa.RecordsLostGlobalBudget + sa.RecordsLostPanic + sa.RecordsFiltered + sa.UnscopedDropped
		l.open += sa.BufferedRecords
	}
	if ag != nil {
		l.absorbed += ag.FoldedDisabled
		l.foldedWritten += ag.FoldedWritten
		l.open += int64(ag.Folded - ag.FoldedWritten - ag.FoldedDisabled)
	}
	if as != nil {
		l.absorbed += as.Dropped + as.Skipped + as.Lost + as.Failed
	}
	return l
}

// wrapper names one wrapper and builds it over next, recording it in c.
type wrapper struct {
	name string
	wrap func(c *composed, next slog.Handler) slog.Handler
}

var wrappers = []wrapper{
	{"sampling", func(c *composed, next slog.Handler) slog.Handler {
		c.sampling = sampling.NewHandler(next, sampling.DefaultOptions())
		return c.sampling
	}},
	{"correlation", func(c *composed, next slog.Handler) slog.Handler {
		return scope.NewHandler(next, scope.HandlerOptions{})
	}},
	{"aggregation", func(c *composed, next slog.Handler) slog.Handler {
		c.aggregation = aggregation.NewHandler(next, aggregation.DefaultOptions())
		return c.aggregation
	}},
	{"redact", func(c *composed, next slog.Handler) slog.Handler {
		c.redacts = true
		return redact.NewHandler(next, redact.DefaultOptions())
	}},
	{"async", func(c *composed, next slog.Handler) slog.Handler {
		c.async = async.NewHandler(next, async.DefaultOptions())
		return c.async
	}},
}

// variant is a way to build a stack over a sink.
type variant struct {
	name  string
	build func(t testing.TB, sink io.Writer) *composed
}

// stackVariant builds NewStack with DefaultConfig at a sampling rate
// (0: none sampled).
func stackVariant(name string, rate float64) variant {
	return variant{name, func(t testing.TB, sink io.Writer) *composed {
		cfg := DefaultConfig()
		cfg.SamplingPolicy.Rate = rate
		s, err := NewStack(sink, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &composed{top: s.Handler(), policy: s.ScopeOptions("").Policy, redacts: true, stack: s}
	}}
}

// pipeVariant composes the wrappers, in the order given, with
// slogmulti.Pipe over a JSONHandler writing to the sink.
func pipeVariant(name string, order []wrapper) variant {
	return variant{name, func(t testing.TB, sink io.Writer) *composed {
		c := &composed{policy: sampling.Policy{Rate: 0}}
		mws := make([]slogmulti.Middleware, len(order))
		for i, w := range order {
			mws[i] = func(next slog.Handler) slog.Handler { return w.wrap(c, next) }
		}
		c.top = slogmulti.Pipe(mws...).Handler(handler.NewJSONHandler(sink, nil))
		return c
	}}
}

// hostileVariants returns the default stack at rates 0 and 1, each wrapper
// alone, and two random orders of all of them, drawn from rng.
func hostileVariants(rng *rand.Rand) []variant {
	vs := []variant{stackVariant("stack/rate0", 0), stackVariant("stack/rate1", 1)}
	for _, w := range wrappers {
		vs = append(vs, pipeVariant("alone/"+w.name, []wrapper{w}))
	}
	for range 2 {
		perm := rng.Perm(len(wrappers))
		order := make([]wrapper, len(perm))
		names := make([]string, len(perm))
		for i, p := range perm {
			order[i], names[i] = wrappers[p], wrappers[p].name
		}
		vs = append(vs, pipeVariant("random/"+strings.Join(names, ","), order))
	}
	return vs
}

// Hostile values.

// guarded is logged with its lock held by someone else.
type guarded struct {
	Mu    sync.Mutex
	Name  string
	Count int
}

// dag shares each level's child twice: 2^depth paths over depth+1 nodes.
type dag struct {
	L, R *dag
	V    int
}

func newDAG(depth int) *dag {
	d := &dag{V: 0}
	for i := 1; i <= depth; i++ {
		d = &dag{L: d, R: d, V: i}
	}
	return d
}

type panickingValuer struct{}

func (panickingValuer) LogValue() slog.Value { panic("valuer boom") }

type selfValuer struct{ N int }

func (v selfValuer) LogValue() slog.Value { return slog.AnyValue(v) }

type namedBytes []byte

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// hostileSecrets are the secrets the hostile values carry.
var hostileSecrets = []string{"hunter2", "tok_live_8f3a9c", "s3cr3t-pa55"}

// secretAttrs are attributes holding secrets in every byte and struct form.
func secretAttrs() []slog.Attr {
	return []slog.Attr{
		slog.Any("body", json.RawMessage(`{"user":"a","password":"hunter2"}`)),
		slog.Any("raw", []byte(`{"token":"tok_live_8f3a9c"}`)),
		slog.Any("named", namedBytes(`{"password":"s3cr3t-pa55"}`)),
		slog.Any("login", loginRequest{User: "a", Password: "hunter2"}),
	}
}

// mutables are the values of one record that the caller changes after the
// call.
type mutables struct {
	m    map[string]any
	s    []int
	tree *logtest.TreeNode
}

func (m *mutables) mutate(i int) {
	m.m["k"] = i
	m.m[fmt.Sprint("new", i%4)] = i
	m.s[0] = i
	m.tree.Children[i%len(m.tree.Children)].Name = fmt.Sprint("changed", i)
}

// hostileRecord returns the attributes of one hostile record and what the
// caller mutates afterwards.
func hostileRecord(seq int, withSecrets bool) ([]slog.Attr, *mutables) {
	g := &guarded{Name: "g", Count: seq}
	g.Mu.Lock() // held for good
	mu := &mutables{
		m:    map[string]any{"k": "v", "n": seq, "nested": map[string]int{"x": 1}},
		s:    []int{seq, 2, 3},
		tree: logtest.NewTree(150),
	}
	attrs := []slog.Attr{
		slog.Int("seq", seq),
		slog.Any("map", mu.m),
		slog.Any("slice", mu.s),
		slog.Any("guarded", g),
		slog.Any("tree", mu.tree),
		slog.Any("dag", newDAG(8)),
		slog.Any("self", selfValuer{N: seq}),
		slog.Any("panicky", panickingValuer{}),
		slog.Any("plainraw", json.RawMessage(`{"a":[1,2,{"b":null}]}`)),
		slog.Any("plainbytes", []byte("abc")),
	}
	if withSecrets {
		attrs = append(attrs, secretAttrs()...)
	}
	return attrs, mu
}

// expectedAttrs returns the attributes as slog.JSONHandler writes them now,
// decoded.
func expectedAttrs(t testing.TB, attrs []slog.Attr) map[string]any {
	var buf bytes.Buffer
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "x", 0)
	r.AddAttrs(attrs...)
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	m := logtest.DecodeLines(t, buf.String())[0]
	delete(m, slog.MessageKey)
	delete(m, slog.LevelKey)
	return m
}

// hostileRun is one run of the hostile workload over a composed stack.
type hostileRun struct {
	t        testing.TB
	c        *composed
	logger   *slog.Logger
	mu       sync.Mutex
	expected map[int]map[string]any // by seq
	logged   int                    // records logged, health checks included
	seq      int
}

const (
	hostileScopes  = 4
	hostileRecords = 6 // hostile records per scope
	healthRecords  = 8 // system records per scope, folded from the 6th
)

func (h *hostileRun) nextSeq(expected map[string]any) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.logged++
	if expected != nil {
		h.expected[h.seq] = expected
	}
	return h.seq
}

// logHostile logs one hostile record in ctx and returns what to mutate.
func (h *hostileRun) logHostile(ctx context.Context, l *slog.Logger, boundExp any) *mutables {
	h.mu.Lock()
	h.seq++
	h.logged++
	seq := h.seq
	h.mu.Unlock()
	attrs, mu := hostileRecord(seq, true)
	exp := expectedAttrs(h.t, attrs)
	exp["bound"] = boundExp
	h.mu.Lock()
	h.expected[seq] = exp
	h.mu.Unlock()
	l.LogAttrs(ctx, slog.LevelInfo, "hostile", attrs...)
	return mu
}

// scope runs the work of one scope: hostile records mutated right after
// the call, and for a kept scope an ERROR logged by another goroutine while
// the caller keeps mutating what it logged, then system records (only in
// kept scopes: a summary dropped with its request stands for several
// records, which the layers' counters do not add up).
func (h *hostileRun) scope(i int) {
	ctx, end := scope.Start(context.Background(), scope.Options{Name: "job", Policy: h.c.policy, Logger: h.logger})
	kept := i%2 == 0
	bound := map[string]any{"tenant": "acme", "i": i}
	boundExp := expectedAttrs(h.t, []slog.Attr{slog.Any("bound", bound)})["bound"]
	l := scope.Logger(ctx).With("bound", bound)
	bound["tenant"] = "changed after With"
	var logged []*mutables
	for r := range hostileRecords {
		mu := h.logHostile(ctx, l, boundExp)
		mu.mutate(r) // right after the call
		logged = append(logged, mu)
		if kept && r == hostileRecords/2 {
			errDone := make(chan struct{})
			go func() {
				defer close(errDone)
				seq := h.nextSeq(map[string]any{"bound": boundExp})
				l.ErrorContext(ctx, "failure", "seq", seq)
			}()
			for k := 0; ; k++ { // mutate while the ERROR flushes
				for _, m := range logged {
					m.mutate(k)
				}
				select {
				case <-errDone:
				default:
					continue
				}
				break
			}
		}
	}
	for k := range healthRecords * btoi(kept) {
		pool := map[string]int{"size": 5}
		h.nextSeq(nil)
		l.InfoContext(ctx, "Health check completed", "pool", pool)
		pool["size"] = 100 + k
	}
	if kept {
		end(errors.New("job failed"))
	} else {
		end(nil)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runHostile runs the hostile workload over v and checks the output.
func runHostile(t *testing.T, v variant) {
	leakcheck.Check(t)
	var out logtest.Buffer
	c := v.build(t, &out)
	h := &hostileRun{t: t, c: c, logger: slog.New(c.top), expected: map[int]map[string]any{}}
	bounded(t, 60*time.Second, func() {
		var wg sync.WaitGroup
		for i := range hostileScopes {
			wg.Go(func() { h.scope(i) })
		}
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	checkHostileOutput(t, h, out.String())
}

// checkHostileOutput checks every line against the value at call time,
// the secrets, and the conservation of records.
func checkHostileOutput(t *testing.T, h *hostileRun, text string) {
	lines := logtest.DecodeLines(t, text)
	seen := map[int]int{}
	var individual, summarised uint64
	for _, line := range lines {
		switch line[slog.MessageKey] {
		case "hostile", "failure":
			seq := int(line["seq"].(float64))
			seen[seq]++
			individual++
			compareLine(t, line, h.expected[seq], h.c.redacts)
		case "Health check completed":
			if line["_aggregated"] == true {
				summarised += uint64(line["_count"].(float64))
			} else {
				individual++
			}
			if diff := cmp.Diff(map[string]any{"size": 5.0}, line["pool"]); diff != "" {
				t.Errorf("health check pool (-call time +written):\n%s", diff)
			}
		}
	}
	for seq, n := range seen {
		if n != 1 {
			t.Errorf("record seq=%d written %d times", seq, n)
		}
	}
	if h.c.redacts {
		if leaks := findSecrets(t, text, hostileSecrets); len(leaks) > 0 {
			t.Errorf("secrets written: %q", leaks)
		}
	}
	l := h.c.ledger()
	if l.open != 0 {
		t.Errorf("after close, %d records still buffered or in open summaries", l.open)
	}
	if summarised != l.foldedWritten {
		t.Errorf("summaries' _count sum to %d, aggregation Stats say %d folded records written", summarised, l.foldedWritten)
	}
	if got := individual + summarised + l.absorbed; got != uint64(h.logged) {
		t.Errorf("conservation: %d written individually + %d in summaries + %d counted as dropped = %d, want %d logged",
			individual, summarised, l.absorbed, got, h.logged)
	}
}

// compareLine compares the attributes of a written line with those of the
// record at call time. A panicking LogValuer's stack differs by caller, so
// only its first line is compared; secrets are compared when nothing
// redacts them.
func compareLine(t *testing.T, line, want map[string]any, redacts bool) {
	t.Helper()
	for key, w := range want {
		got := line[key]
		switch key {
		case "panicky":
			w, got = firstLine(w), firstLine(got)
		case "body", "raw", "named", "login":
			if redacts {
				continue
			}
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("seq=%v %s (-call time +written):\n%s", line["seq"], key, diff)
		}
	}
}

func firstLine(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// bounded runs f and fails the test with every goroutine's stack when f
// has not returned by the deadline.
func bounded(t testing.TB, deadline time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("hung: not done after %v; goroutines:\n%s", deadline, buf)
	}
}

// TestStackHostileValues logs hostile values (mutated right after the call
// and while an ERROR flushes, a held lock, cycles and shared structure,
// LogValuers that panic or return themselves, secrets in every byte form)
// through the default stack, each wrapper alone and random orders of all
// of them, and checks that each record is written as it was at the call,
// exactly once or counted, with no secret, race, hang or leak.
func TestStackHostileValues(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	for _, v := range hostileVariants(rng) {
		t.Run(v.name, func(t *testing.T) {
			runHostile(t, v)
			if t.Failed() {
				t.Logf("seed %d", seed)
			}
		})
	}
}
