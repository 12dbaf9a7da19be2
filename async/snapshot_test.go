package async

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// account holds a lock next to the data it guards, as application structs
// do.
type account struct {
	mu      sync.Mutex
	Owner   string
	Limits  map[string]int
	History []int
}

// callTimeJSON returns what slog.JSONHandler writes, at the call, for a
// record with message m and the given attributes.
func callTimeJSON(t *testing.T, m string, args ...any) string {
	t.Helper()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime})).Info(m, args...)
	return buf.String()
}

// TestSnapshotEqualsCallTimeOutput logs hostile values through a Handler
// whose sink is gated until after the caller has changed what it logged,
// and compares the output with what slog.JSONHandler wrote for the same
// values at the call. A struct holding a mutex that another goroutine
// keeps locked for the whole test must neither wedge the drain nor lose a
// later record.
func TestSnapshotEqualsCallTimeOutput(t *testing.T) {
	leakcheck.Check(t)
	acct := &account{Owner: "ann", Limits: map[string]int{"daily": 10}, History: []int{1, 2}}
	locked, release, holderDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { // holds acct.mu for the whole test
		defer close(holderDone)
		acct.mu.Lock()
		close(locked)
		<-release
		acct.mu.Unlock()
	}()
	<-locked
	defer func() { close(release); <-holderDone }()

	tree := logtest.NewTree(150)
	tests := []struct {
		name   string
		args   func() []any
		mutate func()
	}{
		{"locked mutex", func() []any { return []any{"acct", acct} }, func() { acct.Limits["daily"] = 99; acct.History[0] = -1 }},
		{"struct value with locked mutex", func() []any { return []any{"acct", &struct{ A *account }{acct}} }, func() { acct.Owner = "bob" }},
		{"tree with parent pointers", func() []any { return []any{"tree", tree} }, func() { tree.Children[0].Name = "renamed" }},
		{"map and slice", func() []any {
			return []any{"m", map[string][]int{"a": {1}}, "s", [][]string{{"x"}}}
		}, func() {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf logtest.Buffer
			gate := make(chan struct{})
			h := NewHandler(&gatedHandler{next: slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), gate: gate}, DefaultOptions())
			l := slog.New(h)
			args := tt.args()
			want := callTimeJSON(t, "m", args...)
			l.Info("m", args...)
			tt.mutate()
			l.Info("later", "n", 1) // must not be lost behind the first record
			close(gate)
			closeNow(t, h)
			want += `{"level":"INFO","msg":"later","n":1}` + "\n"
			if diff := cmp.Diff(want, buf.String()); diff != "" {
				t.Fatalf("output (-want +got):\n%s", diff)
			}
			if st := h.Stats(); st.Written != 2 || st.Dropped != 0 {
				t.Fatalf("Stats = %+v, want Written 2", st)
			}
		})
	}
}

// TestSnapshotWhileCallersMutate has producers log a map and a slice and
// change them right after every call, while the drain goroutine encodes
// earlier records: every line shows the values of its call.
func TestSnapshotWhileCallersMutate(t *testing.T) {
	leakcheck.Check(t)
	var buf logtest.Buffer
	h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), DefaultOptions())
	l := slog.New(h)
	const producers, perProducer = 4, 300
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			m := map[string]int{}
			s := make([]int, 3)
			for n := range perProducer {
				m["n"] = n
				s[0], s[1], s[2] = n, n, n
				l.Info("m", "p", p, "map", m, "slice", s, "group", slog.GroupValue(slog.Any("inner", s)))
				m["n"] = -1
				m[fmt.Sprint("junk", n%7)] = n
				clear(s)
			}
		})
	}
	wg.Wait()
	closeNow(t, h)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != producers*perProducer {
		t.Fatalf("%d lines, want %d", len(lines), producers*perProducer)
	}
	next := map[int]int{}
	for _, line := range lines {
		var p int
		if _, err := fmt.Sscanf(line[strings.Index(line, `"p":`):], `"p":%d`, &p); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		n := next[p]
		next[p]++
		want := callTimeJSONLine(p, n)
		if line != want {
			t.Fatalf("producer %d record %d:\n got %s\nwant %s", p, n, line, want)
		}
	}
}

// callTimeJSONLine is the line for record n of producer p in
// TestSnapshotWhileCallersMutate, as slog.JSONHandler writes it at the
// call: the junk keys the producer added after earlier calls are there.
func callTimeJSONLine(p, n int) string {
	m := map[string]int{"n": n}
	for k := range n {
		m[fmt.Sprint("junk", k%7)] = k
	}
	s := []int{n, n, n}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime})).Info("m", "p", p, "map", m, "slice", s, "group", slog.GroupValue(slog.Any("inner", s)))
	return strings.TrimSuffix(buf.String(), "\n")
}

// TestSnapshotChargesQueueBytes: the Handler's queue is bounded by what
// its snapshots hold: with a small MaxBytes and a stalled sink, large
// records push out the oldest ones, and one record larger than MaxBytes is
// dropped and counted.
func TestSnapshotChargesQueueBytes(t *testing.T) {
	leakcheck.Check(t)
	sink := newStuckSink()
	opts := DefaultOptions()
	opts.MaxBytes = 64 << 10
	opts.StallTimeout = 0 // drop as soon as full
	opts.ReportInterval = 0
	h := NewHandler(sink, opts)
	l := slog.New(h)
	l.Info("first")
	<-sink.entered // the drain took it and waits in the sink
	big := strings.Repeat("x", 10<<10)
	for range 20 {
		l.Info("big", "v", []string{big})
	}
	l.Info("huge", "v", []string{strings.Repeat("y", 128<<10)})
	st := h.Stats()
	if st.QueueBytes > opts.MaxBytes || st.QueueDepth > 6 || st.QueueDepth < 4 {
		t.Errorf("queue holds %d records, %d bytes: want 4 to 6 records of about 10 KiB within %d bytes", st.QueueDepth, st.QueueBytes, opts.MaxBytes)
	}
	if st.Dropped != 22-1-uint64(st.QueueDepth) {
		t.Errorf("Dropped %d, want %d", st.Dropped, 22-1-st.QueueDepth)
	}
	close(sink.release)
	closeNow(t, h)
}
