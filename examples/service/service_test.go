package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/sampling"
)

// accessMessage is the message of the access record the stack's HTTP
// middleware writes at the end of each request.
var accessMessage = slogstack.DefaultConfig().HTTP.AccessMessage

// childEnv marks the test binary re-executed as the service itself (see
// TestGracefulShutdownUnderLoad).
const childEnv = "SLOGSTACK_SERVICE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Args = append([]string{os.Args[0]}, strings.Fields(os.Getenv(childEnv+"_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a stack.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// addrWriter captures the address the service prints to stderr.
type addrWriter struct {
	syncBuffer
	once sync.Once
	addr chan string
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

func (w *addrWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if m := listeningRE.FindStringSubmatch(w.syncBuffer.String()); m != nil {
		w.once.Do(func() { w.addr <- m[1] })
	}
	return n, err
}

// service is the service run in process by run(), as main runs it.
type service struct {
	url    string
	logs   *syncBuffer
	stderr *addrWriter
	cancel context.CancelFunc
	done   chan error
}

func startService(t *testing.T, args ...string) *service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{logs: &syncBuffer{}, stderr: &addrWriter{addr: make(chan string, 1)}, cancel: cancel, done: make(chan error, 1)}
	args = append([]string{"-addr", "127.0.0.1:0", "-log", "-", "-db", t.TempDir() + "/test.db"}, args...)
	go func() { s.done <- run(ctx, args, s.logs, s.stderr) }()
	select {
	case s.url = <-s.stderr.addr:
	case err := <-s.done:
		t.Fatalf("service did not start: %v\n%s", err, s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("service did not start within 30s")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the service down gracefully (as a signal does) and waits.
func (s *service) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		t.Errorf("run: %v", err)
	}
}

// logLine is one decoded output line.
type logLine map[string]any

func (l logLine) str(key string) string { s, _ := l[key].(string); return s }

func (l logLine) num(key string) int {
	f, _ := l[key].(float64)
	return int(f)
}

func parseLines(t *testing.T, out string) []logLine {
	t.Helper()
	var lines []logLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("output line is not JSON: %v\n%s", err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	return lines
}

func byCorrelationID(lines []logLine) map[string][]logLine {
	m := map[string][]logLine{}
	for _, l := range lines {
		if id := l.str("correlation_id"); id != "" {
			m[id] = append(m[id], l)
		}
	}
	return m
}

func do(t *testing.T, method, url, correlationID, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Correlation-ID", correlationID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if got := resp.Header.Get("X-Correlation-ID"); got != correlationID {
		t.Errorf("%s %s: X-Correlation-ID = %q, want %q", method, url, got, correlationID)
	}
	return resp.StatusCode
}

// messages returns the messages of lines, in order.
func messages(lines []logLine) []string {
	var ms []string
	for _, l := range lines {
		ms = append(ms, l.str("msg"))
	}
	return ms
}

func countMsg(lines []logLine, msg string) int {
	n := 0
	for _, l := range lines {
		if l.str("msg") == msg {
			n++
		}
	}
	return n
}

// TestEndToEnd runs the service with its real database over real HTTP at a
// 10% sampling rate and checks the stack's promises on its output.
func TestEndToEnd(t *testing.T) {
	leakcheck.Check(t)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	const rate = 0.1
	t.Setenv("LOG_LEVEL", "debug")
	t.Setenv("LOG_SAMPLING_RATE", strconv.FormatFloat(rate, 'g', -1, 64))
	t.Setenv("LOG_ALWAYS_SAMPLE_PATHS", "/api/v1/payments")
	t.Setenv("LOG_EXCLUDED_PATHS", "/health")
	t.Setenv("LOG_ASYNC", "true")
	t.Setenv("LOG_AGGREGATION", "true")
	t.Setenv("LOG_REDACT", "true")
	svc := startService(t, "-db-conns", "2")

	n := 60
	if testing.Short() {
		n = 30
	}
	const steps, batch = 3, 20
	ids := make([]string, batch)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	cards := map[string]bool{}
	sampledWork := 0
	for i := range n {
		cid := fmt.Sprintf("e2e-%03d", i)
		if sampling.Decide("work-"+cid, rate) {
			sampledWork++
		}
		if got := do(t, "GET", fmt.Sprintf("%s/api/v1/work?n=%d", svc.url, steps), "work-"+cid, ""); got != 200 {
			t.Fatalf("work: status %d", got)
		}
		if got := do(t, "GET", fmt.Sprintf("%s/api/v1/fail?n=%d", svc.url, steps), "fail-"+cid, ""); got != 500 {
			t.Fatalf("fail: status %d", got)
		}
		card := testCards[i%len(testCards)]
		cards[strings.ReplaceAll(card, " ", "")] = true
		body := fmt.Sprintf(`{"amount": %d, "currency": "EUR", "card_number": %q}`, 100+i, card)
		if got := do(t, "POST", svc.url+"/api/v1/payments", "pay-"+cid, body); got != 201 {
			t.Fatalf("payment: status %d", got)
		}
		if got := do(t, "GET", svc.url+"/health", "health-"+cid, ""); got != 200 {
			t.Fatalf("health: status %d", got)
		}
		if got := do(t, "GET", svc.url+"/api/v1/users?ids="+strings.Join(ids, ","), "batch-"+cid, ""); got != 200 {
			t.Fatalf("batch: status %d", got)
		}
	}
	// The stack's stats are live on /debug/vars.
	resp, err := http.Get(svc.url + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	var vars struct{ Slogstack struct{ Records uint64 } }
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if vars.Slogstack.Records == 0 {
		t.Error("/debug/vars shows no slogstack records")
	}
	if sampledWork == 0 || sampledWork == n {
		t.Fatalf("%d of %d work requests sampled: the ID set does not exercise both outcomes", sampledWork, n)
	}
	svc.stop(t) // flush the stack: aggregation summaries, then the async queue
	out := svc.logs.String()
	lines := parseLines(t, out)
	req := byCorrelationID(lines)

	var poolIndividual, poolFolded, summaries int
	for i := range n {
		cid := fmt.Sprintf("e2e-%03d", i)

		// A work request's lines are all present or all absent, as its ID
		// samples it.
		work := req["work-"+cid]
		if sampling.Decide("work-"+cid, rate) {
			if got := countMsg(work, "work step"); got != steps || countMsg(work, accessMessage) != 1 {
				t.Errorf("work-%s (sampled): %q, want %d work step lines and the access record", cid, messages(work), steps)
			}
		} else if len(work) != 0 {
			t.Errorf("work-%s (not sampled): %d lines, want none: %q", cid, len(work), messages(work))
		}

		// A failing request is always fully present: its steps in order,
		// then the error.
		fail := req["fail-"+cid]
		var seq []string
		for _, l := range fail {
			switch l.str("msg") {
			case "work step":
				seq = append(seq, fmt.Sprintf("step %d", l.num("step")))
			case "work failed":
				seq = append(seq, "failed")
			}
		}
		if countMsg(fail, accessMessage) == 1 {
			seq = append(seq, "access")
		}
		if want := []string{"step 0", "step 1", "step 2", "failed", "access"}; !slicesEqual(seq, want) {
			t.Errorf("fail-%s: records %q, want %q", cid, seq, want)
		}

		// Payments are always sampled.
		if got := countMsg(req["pay-"+cid], "payment created"); got != 1 {
			t.Errorf("pay-%s: %d payment created lines, want 1: %q", cid, got, messages(req["pay-"+cid]))
		}

		// Health checks are excluded.
		if h := req["health-"+cid]; len(h) != 0 {
			t.Errorf("health-%s: %d lines, want none: %q", cid, len(h), messages(h))
		}

		// The batch lookup's pool lines: all or nothing, and folded.
		b := req["batch-"+cid]
		var ind, folded int
		for _, l := range b {
			if l.str("msg") != "Connection pool size" {
				continue
			}
			if l["_aggregated"] == true {
				folded += l.num("_count")
				summaries++
			} else {
				ind++
			}
		}
		if sampling.Decide("batch-"+cid, rate) {
			if ind+folded != batch {
				t.Errorf("batch-%s: %d individual + %d folded pool lines, want %d in all", cid, ind, folded, batch)
			}
			if countMsg(b, "users fetched") != 1 {
				t.Errorf("batch-%s: no users fetched line: %q", cid, messages(b))
			}
		} else if len(b) != 0 {
			t.Errorf("batch-%s (not sampled): %d lines, want none", cid, len(b))
		}
		poolIndividual += ind
		poolFolded += folded
	}
	if summaries == 0 || poolFolded == 0 {
		t.Errorf("pool-size lines were not folded: %d individual, %d folded in %d summaries", poolIndividual, poolFolded, summaries)
	}
	for card := range cards {
		if strings.Contains(out, card) {
			t.Errorf("card number %s appears in the output", card)
		}
	}
	if !regexp.MustCompile(`(?m)^accounted for\s+ok\s`).MatchString(svc.stderr.String()) {
		t.Errorf("the report does not account for every record:\n%s", svc.stderr.String())
	}
	// Sampled records carry the trace of the service's spans.
	for _, l := range req["fail-e2e-000"] {
		if len(l.str("trace_id")) != 32 || len(l.str("span_id")) != 16 {
			t.Errorf("fail-e2e-000 line %q has trace_id %q, span_id %q", l.str("msg"), l.str("trace_id"), l.str("span_id"))
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var reportRow = regexp.MustCompile(`(?m)^(records logged|records written|dropped by async queue|folded by aggregation|sampled out)\s+(\d+)`)

// TestGracefulShutdownUnderLoad runs the service as a real child process,
// sends it SIGTERM while clients are busy, and checks that every record of
// every answered request is in its output and nothing accepted was lost.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		childEnv+"_ARGS=-addr 127.0.0.1:0 -log - -db "+t.TempDir()+"/child.db",
		"LOG_LEVEL=debug", "LOG_SAMPLING_RATE=1", "LOG_ASYNC=true",
		"LOG_AGGREGATION=false", "LOG_REDACT=true")
	var stdout syncBuffer
	stderr := &addrWriter{addr: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var url string
	select {
	case url = <-stderr.addr:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child did not start:\n%s", stderr.String())
	}

	const steps = 5
	var mu sync.Mutex
	answered := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	for c := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cid := fmt.Sprintf("term-%d-%d", c, i)
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/work?n=%d", url, steps), nil)
				req.Header.Set("X-Correlation-ID", cid)
				resp, err := client.Do(req)
				if err != nil {
					return // the server has closed its listener
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					answered[cid] = true
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Errorf("child exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child did not exit within 60s of SIGTERM\n%s", stderr.String())
	}
	close(stop)
	wg.Wait()

	lines := parseLines(t, stdout.String())
	req := byCorrelationID(lines)
	if len(answered) == 0 {
		t.Fatal("no request was answered before SIGTERM")
	}
	for cid := range answered {
		if got := countMsg(req[cid], "work step"); got != steps {
			t.Errorf("%s was answered but has %d of its %d work step lines", cid, got, steps)
		}
	}
	rows := map[string]int{}
	for _, m := range reportRow.FindAllStringSubmatch(stderr.String(), -1) {
		rows[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(rows) != 5 {
		t.Fatalf("report rows %v not found in stderr:\n%s", rows, stderr.String())
	}
	if rows["records written"] != len(lines) {
		t.Errorf("report says %d records written, output has %d lines", rows["records written"], len(lines))
	}
	if rows["dropped by async queue"] != 0 || rows["sampled out"] != 0 || rows["folded by aggregation"] != 0 {
		t.Errorf("records lost: %v", rows)
	}
	if rows["records logged"] != len(lines) {
		t.Errorf("report says %d records logged, output has %d lines", rows["records logged"], len(lines))
	}
	t.Logf("%d requests answered before and during shutdown, %d lines written", len(answered), len(lines))
}
