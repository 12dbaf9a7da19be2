package sampling

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/snapshot"
)

func TestRequestRecordBound(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, withRecords(10))
	ctx, s := open(notSampled)
	l := slog.New(h)
	for i := 0; i < 25; i++ {
		l.InfoContext(ctx, "r", "i", i)
	}
	l.ErrorContext(ctx, "boom")
	s.End()
	want := []map[string]any{kept(rec("WARN", lostRecordsMessage, lostRecordsKey, 15.0), 0.1)}
	for i := 15; i < 25; i++ {
		want = append(want, kept(rec("INFO", "r", "i", float64(i)), 0.1))
	}
	want = append(want, kept(rec("ERROR", "boom"), 0.1))
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	st := h.Stats()
	if st.RecordsLostRequestBound != 15 || st.RecordsRescued != 10 || st.RecordsBuffered != 25 {
		t.Fatalf("stats: %+v", st)
	}
	checkConservation(t, st)
}

func TestRequestByteBound(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	big := strings.Repeat("x", 1000)
	sample := slog.NewRecord(time0, slog.LevelInfo, "r", 0)
	sample.AddAttrs(slog.String("v", big))
	_, payload := snapshot.Record(sample)
	one := entrySize + payload
	h := NewHandler(next, withRequestBytes(3*one+one/2))
	ctx, s := open(notSampled)
	l := slog.New(h)
	for i := 0; i < 5; i++ {
		l.InfoContext(ctx, "r", "v", big)
	}
	// A record larger than the whole bound is lost, not buffered.
	l.InfoContext(ctx, "huge", "v", strings.Repeat("y", 4*one))
	l.WarnContext(ctx, "small")
	s.Keep()
	s.End()
	// Two big records were evicted before the third, and the huge one was
	// lost after the fifth: each gap is reported where it is.
	want := []map[string]any{kept(rec("WARN", lostRecordsMessage, lostRecordsKey, 2.0), 0.1)}
	for i := 0; i < 3; i++ {
		want = append(want, kept(rec("INFO", "r", "v", big), 0.1))
	}
	want = append(want,
		kept(rec("WARN", lostRecordsMessage, lostRecordsKey, 1.0), 0.1),
		kept(rec("WARN", "small"), 0.1))
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	st := h.Stats()
	if st.RecordsLostRequestBound != 3 {
		t.Fatalf("stats: %+v", st)
	}
	checkConservation(t, st)
}

func checkConservation(t *testing.T, st Stats) {
	t.Helper()
	sum := st.RecordsRescued + st.RecordsFiltered + st.RecordsDropped +
		st.RecordsLostRequestBound + st.RecordsLostGlobalBudget + st.RecordsLostPanic + uint64(st.BufferedRecords)
	if sum != st.RecordsBuffered {
		t.Fatalf("conservation: rescued+filtered+dropped+lost+lost to panics+buffered = %d, buffered in total %d (%+v)", sum, st.RecordsBuffered, st)
	}
}

// TestGlobalBudgetLossReported fills the global budget with one request,
// then keeps a second one that could buffer nothing: its flush reports
// exactly the records it lost.
func TestGlobalBudgetLossReported(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	const budget = 100_000
	h := NewHandler(next, withBudget(budget))
	l := slog.New(h)
	// Request A fills the budget with 1 KB records; it then drops its own
	// oldest to make room, so the budget stays within about one record and
	// one ring growth of full.
	ctxA, a := open(notSampled)
	for i := 0; i < 1000; i++ {
		l.InfoContext(ctxA, "a", "i", i, "v", strings.Repeat("a", 1000))
		if b := h.Stats().BufferedBytes; b > budget {
			t.Fatalf("buffered %d bytes, budget %d", b, budget)
		}
	}
	if st := h.Stats(); st.RecordsLostGlobalBudget == 0 || st.BufferedBytes < budget/2 {
		t.Fatalf("request A did not fill the budget: %+v", st)
	}
	// Request B's records (half the budget each) find no room and B has
	// nothing of its own to drop: every one is lost, and its flush says so.
	ctxB, b := open(notSampled)
	for i := 0; i < 7; i++ {
		l.InfoContext(ctxB, "b", "i", i, "v", strings.Repeat("b", budget/2))
	}
	l.ErrorContext(ctxB, "b failed")
	b.End()
	want := []map[string]any{
		kept(rec("WARN", lostRecordsMessage, lostRecordsKey, 7.0), 0.1),
		kept(rec("ERROR", "b failed"), 0.1),
	}
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
	a.End()
	st := h.Stats()
	if st.BufferedBytes != 0 || st.BufferedRecords != 0 {
		t.Fatalf("budget not returned: %+v", st)
	}
	checkConservation(t, st)
}

// TestManyScopesHeapBounded keeps 10,000 requests that are not sampled in
// flight, each logging 24 records that own their memory (about three times
// what the default budget holds, buffer slots included), and checks with
// runtime.ReadMemStats that the heap grows by no more than the global
// budget plus a fixed allowance per request for the scope itself. Under
// the race detector, which makes each record several times dearer, it
// keeps 2,000 requests against an 8 MiB budget (again about three times).
func TestManyScopesHeapBounded(t *testing.T) {
	scopes, perScope, budget := 10_000, 24, DefaultOptions().MaxBufferedBytes
	if raceEnabled || testing.Short() {
		scopes, budget = 2_000, 8<<20
	}
	// Allowance per request beyond the budget: the reqscope.Scope, its
	// context, its attachment list and this handler's per-scope state.
	const perScopeOverhead = 1 << 10
	limit := budget + int64(scopes*perScopeOverhead)
	var (
		out    *logtest.Buffer
		h      *Handler
		l      *slog.Logger
		ctxs   []context.Context
		ss     []*reqscope.Scope
		st     Stats
		logged int
	)
	// fill opens the requests on a fresh handler, logs their records and
	// returns how much the heap grew.
	fill := func() int64 {
		for _, s := range ss { // the previous measure's requests
			s.End()
		}
		var next slog.Handler
		out, next = newJSON(slog.LevelDebug)
		h = NewHandler(next, withBudget(budget))
		l = slog.New(h)
		ctxs = make([]context.Context, scopes)
		ss = make([]*reqscope.Scope, scopes)
		before := heapInUse()
		for i := range ctxs {
			ctxs[i], ss[i] = open(notSampled)
		}
		logged = 0
		for j := 0; j < perScope; j++ {
			for i := range ctxs {
				// A fresh string per record, so the records own memory.
				l.LogAttrs(ctxs[i], slog.LevelInfo, "step", slog.String("payload", strconv.Itoa(i)+strings.Repeat("p", 40)), slog.Int("j", j))
				logged++
			}
		}
		st = h.Stats()
		if st.BufferedBytes > budget {
			t.Fatalf("buffered bytes %d over the budget %d", st.BufferedBytes, budget)
		}
		return heapInUse() - before
	}
	// The lowest of up to three measures: a goroutine of another test
	// allocating between the two reads raises one.
	grew, _ := logtest.Measure(3, fill, func(lowest, _ int64) bool { return lowest <= limit })
	t.Logf("%d scopes x %d records: heap grew %.1f MiB (limit %.1f MiB), buffered %d records, %.1f MiB estimated, lost %d",
		scopes, perScope, float64(grew)/(1<<20), float64(limit)/(1<<20), st.BufferedRecords, float64(st.BufferedBytes)/(1<<20), st.RecordsLostGlobalBudget)
	if grew > limit {
		t.Fatalf("heap grew by %d bytes, over the budget plus per-scope allowance %d", grew, limit)
	}
	if st.RecordsLostGlobalBudget == 0 || st.RecordsBuffered != uint64(logged) {
		t.Fatalf("the budget never bound: %+v", st)
	}

	// The first request errs: its flush reports exactly how many of its
	// records were lost, and what it writes plus what it lost is all it
	// logged.
	l.ErrorContext(ctxs[0], "failed")
	got := out.Lines(t)
	lost, written := 0, 0
	for _, m := range got[:len(got)-1] { // all but the trigger
		if m["msg"] == lostRecordsMessage {
			lost += int(m[lostRecordsKey].(float64))
		} else {
			written++
		}
	}
	if lost == 0 || lost+written != perScope {
		t.Fatalf("request logged %d, wrote %d, reported %d lost", perScope, written, lost)
	}
	for _, s := range ss {
		s.End()
	}
	st = h.Stats()
	if st.BufferedBytes != 0 || st.BufferedRecords != 0 {
		t.Fatalf("budget not returned after all requests ended: %+v", st)
	}
	checkConservation(t, st)
	runtime.KeepAlive(ctxs)
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func TestEstimateIsConservative(t *testing.T) {
	// The estimate charged for a buffered record is at least the memory
	// the buffer really holds for it, for records of the common kinds.
	for _, n := range []int{0, 3, 5, 6, 12} {
		t.Run(fmt.Sprint(n, " attrs"), func(t *testing.T) {
			_, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, Options{MaxRequestRecords: 1 << 20, MaxRequestBytes: 1 << 30, MaxBufferedBytes: 1 << 30})
			ctx, s := open(notSampled)
			defer s.End()
			records := 20_000
			if raceEnabled {
				records = 5_000
			}
			attrs := make([]slog.Attr, n)
			before := heapInUse()
			for i := 0; i < records; i++ {
				for k := range attrs {
					attrs[k] = slog.String("k"+strconv.Itoa(k), strconv.Itoa(i)+"-value")
				}
				h.Handle(ctx, newRecord(attrs))
			}
			grew := heapInUse() - before
			est := h.Stats().BufferedBytes
			if grew > est {
				t.Fatalf("heap grew %d bytes, estimate %d", grew, est)
			}
			t.Logf("heap %d, estimate %d (%.2fx)", grew, est, float64(est)/float64(grew))
		})
	}
}

func newRecord(attrs []slog.Attr) slog.Record {
	r := slog.NewRecord(time0, slog.LevelInfo, "estimate", 0)
	r.AddAttrs(attrs...)
	return r
}

func TestRingSizes(t *testing.T) {
	if got := ringClass(maxPooledSlots); got != len(ringPools)-1 {
		t.Fatalf("ringClass(maxPooledSlots) = %d, want %d", got, len(ringPools)-1)
	}
	for _, tc := range []struct{ cur, max, want int }{
		{0, 512, 8}, {8, 512, 16}, {256, 512, 512}, {0, 10, 8}, {8, 10, 16}, {0, 1, 1}, {0, 3, 4}, {4, 3, 4},
	} {
		if got := ringSlots(tc.cur, tc.max); got != tc.want {
			t.Errorf("ringSlots(%d, %d) = %d, want %d", tc.cur, tc.max, got, tc.want)
		}
	}
	for _, tc := range []struct{ slots, want int }{{4, -1}, {8, 0}, {16, 1}, {24, -1}, {4096, 9}, {8192, -1}} {
		if got := ringClass(tc.slots); got != tc.want {
			t.Errorf("ringClass(%d) = %d, want %d", tc.slots, got, tc.want)
		}
	}
	// A recycled ring comes back cleared.
	p := getRing(16)
	(*p)[3].payload = 7
	putRing(p)
	for i := 0; i < 3; i++ {
		q := getRing(16)
		if len(*q) != 16 {
			t.Fatalf("ring of %d slots, want 16", len(*q))
		}
		for _, e := range *q {
			if e.payload != 0 {
				t.Fatal("recycled ring not cleared")
			}
		}
	}
}

// bulky is a struct holding a large slice and map, logged by pointer.
type bulky struct {
	Rows  []int64
	Index map[int]string
}

// TestLargeValuesHeapBounded keeps many requests in flight, each
// buffering records that carry 64 KiB values of kind Any (slices, maps,
// structs, raw JSON), each value fresh, so that only the buffer can hold
// it: with a 1 MiB budget, the heap (runtime.ReadMemStats after GC) grows
// by no more than the budget plus a fixed allowance per request. A buffer
// that held the values but charged a flat size per value would hold them
// all (tens of MiB).
func TestLargeValuesHeapBounded(t *testing.T) {
	const budget = 1 << 20
	const perScopeOverhead = 1 << 10
	const slack = 128 << 10 // the ring pools and the runtime's own growth
	requests, perRequest := 64, 8
	if raceEnabled {
		requests = 24
	}
	for _, tc := range []struct {
		name  string
		value func(i int) any // about 64 KiB of data
	}{
		{"slice", func(i int) any {
			s := make([]int64, 8<<10)
			s[0] = int64(i)
			return s
		}},
		{"map", func(i int) any {
			m := make(map[int]int64, 2<<10)
			for k := range 2 << 10 {
				m[k] = int64(i)
			}
			return m
		}},
		{"struct", func(i int) any {
			b := &bulky{Rows: make([]int64, 4<<10), Index: make(map[int]string, 256)}
			for k := range 256 {
				b.Index[k] = strings.Repeat("v", 64)
			}
			return b
		}},
		{"raw JSON", func(i int) any {
			return json.RawMessage(`"` + strings.Repeat("j", 64<<10) + `"`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := int64(budget + requests*perScopeOverhead + slack)
			var (
				h    *Handler
				ctxs []context.Context
				ss   []*reqscope.Scope
			)
			// fill opens the requests on a fresh handler, has them
			// buffer their values and returns how much the heap grew.
			fill := func() int64 {
				for _, s := range ss { // the previous measure's requests
					s.End()
				}
				_, next := newJSON(slog.LevelDebug)
				h = NewHandler(next, withBudget(budget))
				ctxs = make([]context.Context, requests)
				ss = make([]*reqscope.Scope, requests)
				before := heapInUse()
				for i := range ctxs {
					ctxs[i], ss[i] = open(notSampled)
				}
				for j := range perRequest {
					for i := range ctxs {
						r := slog.NewRecord(time0, slog.LevelInfo, "big", 0)
						r.AddAttrs(slog.Any("v", tc.value(i*perRequest+j)))
						h.Handle(ctxs[i], r)
					}
				}
				return heapInUse() - before
			}
			// The lowest of up to three measures: a goroutine of
			// another test allocating between the two reads raises one.
			grew, _ := logtest.Measure(3, fill, func(lowest, _ int64) bool { return lowest <= limit })
			st := h.Stats()
			t.Logf("%d requests x %d records of 64 KiB: heap grew %.2f MiB (limit %.2f MiB), %d records held, %d lost to the budget",
				requests, perRequest, float64(grew)/(1<<20), float64(limit)/(1<<20), st.BufferedRecords, st.RecordsLostGlobalBudget)
			if grew > limit {
				t.Errorf("heap grew by %d bytes, over the budget plus allowance %d", grew, limit)
			}
			if st.BufferedBytes > budget || st.RecordsLostGlobalBudget == 0 || st.BufferedRecords == 0 {
				t.Errorf("the budget did not bind: %+v", st)
			}
			for _, s := range ss {
				s.End()
			}
			st = h.Stats()
			if st.BufferedBytes != 0 || st.BufferedRecords != 0 {
				t.Errorf("budget not returned: %+v", st)
			}
			checkConservation(t, st)
			runtime.KeepAlive(ctxs)
		})
	}
}

// TestLossReportRedactedBelow: the WARN record that reports lost records
// is an ordinary record written on the handler chain of the records it
// stands for, so a redacting handler below masks what that chain carries,
// as in every other record.
func TestLossReportRedactedBelow(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	h := NewHandler(maskingHandler{next}, withRecords(2))
	ctx, s := open(notSampled)
	l := slog.New(h).With("password", "hunter2")
	for i := range 5 {
		l.InfoContext(ctx, "step", "i", i)
	}
	l.ErrorContext(ctx, "failed")
	s.End()
	want := []map[string]any{
		kept(rec("WARN", lostRecordsMessage, lostRecordsKey, 3.0, "password", masked), 0.1),
		kept(rec("INFO", "step", "i", 3.0, "password", masked), 0.1),
		kept(rec("INFO", "step", "i", 4.0, "password", masked), 0.1),
		kept(rec("ERROR", "failed", "password", masked), 0.1),
	}
	if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
		t.Fatalf("output (-want +got):\n%s", diff)
	}
}

// masked is what maskingHandler writes in place of a password.
const masked = "[MASKED]"

// maskingHandler stands for a redacting handler: it masks the value of
// every attribute named "password" given to WithAttrs or logged on a
// record (not inside a group value).
type maskingHandler struct{ next slog.Handler }

func (m maskingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return m.next.Enabled(ctx, l)
}

func (m maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(mask(a))
		return true
	})
	return m.next.Handle(ctx, out)
}

func (m maskingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = mask(a)
	}
	return maskingHandler{m.next.WithAttrs(out)}
}

func (m maskingHandler) WithGroup(name string) slog.Handler {
	return maskingHandler{m.next.WithGroup(name)}
}

func mask(a slog.Attr) slog.Attr {
	if a.Key == "password" {
		return slog.String(a.Key, masked)
	}
	return a
}
