package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// sentRecord is one record a test sends, and what the Collector must write.
type sentRecord struct {
	service string         // resource attribute service.name; "" sends none
	traceID string         // hex trace ID set on the record; "" sends none
	body    string         // the record's body
	sev     string         // severity text
	attrs   map[string]any // attributes as pcommon.Map.FromRaw takes them
	want    receivedRecord // what readReceived returns for it
}

// collectorCases are records of every shape readReceived decodes.
var collectorCases = []sentRecord{
	{
		service: "service-0", body: "request served", sev: "INFO",
		attrs: map[string]any{"correlation_id": "c-1", "status": 200, "path": "/api/v1/work"},
		want: receivedRecord{Service: "service-0", CorrelationID: "c-1", Body: "request served", Severity: "INFO",
			Attrs: map[string]any{"correlation_id": "c-1", "status": int64(200), "path": "/api/v1/work"}},
	},
	{
		service: "service-1", traceID: "0102030405060708090a0b0c0d0e0f10", body: "downstream failed", sev: "ERROR",
		attrs: map[string]any{"correlation_id": "c-2", "http": map[string]any{"method": "GET", "req": map[string]any{"bytes": 12}}},
		want: receivedRecord{Service: "service-1", CorrelationID: "c-2", TraceID: "0102030405060708090a0b0c0d0e0f10",
			Body: "downstream failed", Severity: "ERROR",
			Attrs: map[string]any{"correlation_id": "c-2", "http.method": "GET", "http.req.bytes": int64(12)}},
	},
	{
		service: "service-1", body: "trace from attribute", sev: "WARN",
		attrs: map[string]any{"trace_id": "aabb", "ok": true, "ratio": 0.25, "tags": []any{"a", int64(1)}, "empty": map[string]any{}},
		want: receivedRecord{Service: "service-1", TraceID: "aabb", Body: "trace from attribute", Severity: "WARN",
			Attrs: map[string]any{"trace_id": "aabb", "ok": true, "ratio": 0.25, "tags": []any{"a", int64(1)}}},
	},
	{
		body: "no service, no attributes", sev: "DEBUG",
		want: receivedRecord{Body: "no service, no attributes", Severity: "DEBUG"},
	},
	{
		service: "service-2", body: "ünïcode \"quoted\"\nnewline", sev: "INFO",
		attrs: map[string]any{"correlation_id": "", "secret": "[REDACTED]"},
		want: receivedRecord{Service: "service-2", Body: "ünïcode \"quoted\"\nnewline", Severity: "INFO",
			Attrs: map[string]any{"correlation_id": "", "secret": "[REDACTED]"}},
	},
}

// logsOf builds one OTLP request holding records, one resource per record.
func logsOf(t testing.TB, records ...sentRecord) plog.Logs {
	t.Helper()
	logs := plog.NewLogs()
	for _, r := range records {
		resourceLogs := logs.ResourceLogs().AppendEmpty()
		if r.service != "" {
			resourceLogs.Resource().Attributes().PutStr("service.name", r.service)
		}
		record := resourceLogs.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		record.Body().SetStr(r.body)
		record.SetSeverityText(r.sev)
		if r.traceID != "" {
			var id pcommon.TraceID
			if n, err := hex.Decode(id[:], []byte(r.traceID)); err != nil || n != len(id) {
				t.Fatalf("bad trace ID %q", r.traceID)
			}
			record.SetTraceID(id)
		}
		if err := record.Attributes().FromRaw(r.attrs); err != nil {
			t.Fatal(err)
		}
	}
	return logs
}

func wantOf(records ...sentRecord) []receivedRecord {
	want := make([]receivedRecord, len(records))
	for i, r := range records {
		want[i] = r.want
	}
	return want
}

// postLogs sends logs to the Collector at addr as an OTLP/HTTP protobuf
// request and fails the test unless all of it was accepted.
func postLogs(t testing.TB, addr string, logs plog.Logs) {
	t.Helper()
	body, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post("http://"+addr+"/v1/logs", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/logs: %s: %s", resp.Status, answer)
	}
	decoded := plogotlp.NewExportResponse()
	if err := decoded.UnmarshalProto(answer); err != nil {
		t.Fatal(err)
	}
	if rejected := decoded.PartialSuccess().RejectedLogRecords(); rejected != 0 {
		t.Fatalf("the Collector rejected %d records: %s", rejected, decoded.PartialSuccess().ErrorMessage())
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func startForTest(t testing.TB, set collectorSettings) *collector {
	t.Helper()
	c, err := startCollectorWith(t.Context(), set)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func stopForTest(t testing.TB, c *collector) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func readForTest(t testing.TB, paths ...string) []receivedRecord {
	t.Helper()
	got, err := readReceived(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestCollectorRoundTrip: every record posted over OTLP/HTTP is in the file,
// in order, exactly; the Collector logs nothing when healthy.
func TestCollectorRoundTrip(t *testing.T) {
	leakcheck.Check(t)
	tests := []struct {
		name     string
		requests [][]sentRecord
	}{
		{"one record per request", [][]sentRecord{
			collectorCases[:1], collectorCases[1:2], collectorCases[2:3], collectorCases[3:4], collectorCases[4:5]}},
		{"all in one request", [][]sentRecord{collectorCases}},
		{"no records", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logtest.Buffer
			path := filepath.Join(t.TempDir(), "logs.json")
			c, err := startCollector(t.Context(), freeAddr(t), path, &logs)
			if err != nil {
				t.Fatal(err)
			}
			var want []receivedRecord
			for _, request := range tt.requests {
				postLogs(t, c.addr, logsOf(t, request...))
				want = append(want, wantOf(request...)...)
			}
			stopForTest(t, c)
			if diff := cmp.Diff(want, readForTest(t, path)); diff != "" {
				t.Errorf("records (-sent +read):\n%s", diff)
			}
			if logs.String() != "" {
				t.Errorf("the Collector logged:\n%s", logs.String())
			}
		})
	}
}

// TestCollectorStopFlushes: records still held by the batch processor when
// stop is called (its timeout is an hour) are in the file after stop.
func TestCollectorStopFlushes(t *testing.T) {
	leakcheck.Check(t)
	path := filepath.Join(t.TempDir(), "logs.json")
	c := startForTest(t, collectorSettings{addr: freeAddr(t), path: path, batchTimeout: time.Hour})
	postLogs(t, c.addr, logsOf(t, collectorCases...))
	stopForTest(t, c)
	if diff := cmp.Diff(wantOf(collectorCases...), readForTest(t, path)); diff != "" {
		t.Errorf("records (-sent +read):\n%s", diff)
	}
}

// TestCollectorRestartSameAddr: a Collector started on the address of a
// stopped one works, writes its own file, and leaves the first file as it was.
func TestCollectorRestartSameAddr(t *testing.T) {
	leakcheck.Check(t)
	dir, addr := t.TempDir(), freeAddr(t)
	first, second := filepath.Join(dir, "first.json"), filepath.Join(dir, "second.json")

	c := startForTest(t, collectorSettings{addr: addr, path: first, batchTimeout: defaultBatchTimeout})
	postLogs(t, addr, logsOf(t, collectorCases[:2]...))
	stopForTest(t, c)

	c = startForTest(t, collectorSettings{addr: addr, path: second, batchTimeout: defaultBatchTimeout})
	postLogs(t, addr, logsOf(t, collectorCases[2:]...))
	stopForTest(t, c)

	for _, tt := range []struct {
		paths []string
		want  []receivedRecord
	}{
		{[]string{first}, wantOf(collectorCases[:2]...)},
		{[]string{second}, wantOf(collectorCases[2:]...)},
		{[]string{first, second}, wantOf(collectorCases...)},
	} {
		if diff := cmp.Diff(tt.want, readForTest(t, tt.paths...)); diff != "" {
			t.Errorf("%v (-sent +read):\n%s", tt.paths, diff)
		}
	}
}

// TestCollectorStartErrors: a busy address, or a missing address or path,
// is a clear error from startCollector, and nothing is left running.
func TestCollectorStartErrors(t *testing.T) {
	leakcheck.Check(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	tests := []struct {
		name, addr, path string
		wantIn           []string
		wantIs           error
	}{
		{"busy address", busy.Addr().String(), filepath.Join(dir, "a.json"),
			[]string{"collector on " + busy.Addr().String(), "address already in use"}, syscall.EADDRINUSE},
		{"no address", "", filepath.Join(dir, "b.json"), []string{"need an address and a file path"}, nil},
		{"no path", freeAddr(t), "", []string{"need an address and a file path"}, nil},
		{"unwritable path", freeAddr(t), filepath.Join(dir, "missing", "c.json"), []string{"no such file or directory"}, syscall.ENOENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logtest.Buffer
			c, err := startCollector(t.Context(), tt.addr, tt.path, &logs)
			if err == nil {
				stopForTest(t, c)
				t.Fatal("startCollector succeeded")
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
		})
	}
}

// TestCollectorStopIdempotent: a second stop returns the first one's result.
func TestCollectorStopIdempotent(t *testing.T) {
	leakcheck.Check(t)
	c := startForTest(t, collectorSettings{addr: freeAddr(t), path: filepath.Join(t.TempDir(), "logs.json"), batchTimeout: defaultBatchTimeout})
	stopForTest(t, c)
	stopForTest(t, c)
}

// TestCollectorStopBoundedByContext: a client stalled in the middle of a
// request keeps the receiver's graceful shutdown waiting; stop returns its
// context's error when that ends, the Collector still shuts down, and a
// later stop returns once it has.
func TestCollectorStopBoundedByContext(t *testing.T) {
	leakcheck.Check(t)
	c := startForTest(t, collectorSettings{addr: freeAddr(t), path: filepath.Join(t.TempDir(), "logs.json"), batchTimeout: defaultBatchTimeout})
	stalled, err := net.Dial("tcp", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := io.WriteString(stalled, "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\npartial"); err != nil {
		t.Fatal(err)
	}
	postLogs(t, c.addr, logsOf(t, collectorCases[0])) // the stalled request is being served once this one is answered

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("stop with a done context: %v, want %v", err, context.Canceled)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- c.stop(context.Background()) }()
	if err := <-stopped; err == nil || !strings.Contains(err.Error(), "collector on "+c.addr) {
		t.Errorf("second stop: %v, want the interrupted shutdown's error", err)
	}
}

// TestCollectorsSideBySide: two Collectors running at the same time in one
// process each write exactly what was sent to them.
func TestCollectorsSideBySide(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	sends := [][]sentRecord{collectorCases[:3], collectorCases[3:]}
	collectors := make([]*collector, len(sends))
	paths := make([]string, len(sends))
	for i := range sends {
		paths[i] = filepath.Join(dir, "logs-"+string(rune('a'+i))+".json")
		collectors[i] = startForTest(t, collectorSettings{addr: freeAddr(t), path: paths[i], batchTimeout: defaultBatchTimeout})
	}
	for i, records := range sends {
		for _, r := range records {
			postLogs(t, collectors[i].addr, logsOf(t, r))
		}
	}
	for i := range sends {
		stopForTest(t, collectors[i])
	}
	for i, records := range sends {
		if diff := cmp.Diff(wantOf(records...), readForTest(t, paths[i])); diff != "" {
			t.Errorf("collector %d (-sent +read):\n%s", i, diff)
		}
	}
}

// watchWriter is a Collector log writer that closes seen when a write holds
// want.
type watchWriter struct {
	logtest.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return w.Buffer.Write(p)
}

// TestCollectorReloadKeepsFile: on SIGHUP the Collector restarts its
// pipeline; what it wrote before stays in the file, and what is sent after
// follows it.
func TestCollectorReloadKeepsFile(t *testing.T) {
	leakcheck.Check(t)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // the test process survives a SIGHUP sent before the Collector listens
	defer signal.Stop(hup)
	logs := &watchWriter{want: "Config updated, restart service", seen: make(chan struct{})}
	path := filepath.Join(t.TempDir(), "logs.json")
	c, err := startCollector(t.Context(), freeAddr(t), path, logs)
	if err != nil {
		t.Fatal(err)
	}
	postLogs(t, c.addr, logsOf(t, collectorCases[:2]...))

	resend := time.NewTicker(100 * time.Millisecond) // until the Collector listens for SIGHUP
	defer resend.Stop()
	for reloaded := false; !reloaded; {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-logs.seen:
			reloaded = true
		case <-resend.C:
		}
	}
	// The receiver may be between its old and its new start: a refused
	// connection, or one the old receiver closed without an answer (its
	// graceful shutdown answers every request it handles), was not handled,
	// so sending again cannot duplicate.
	body, err := plogotlp.NewExportRequestFromLogs(logsOf(t, collectorCases[2:]...)).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		resp, err := client.Post("http://"+c.addr+"/v1/logs", "application/x-protobuf", bytes.NewReader(body))
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) {
			<-resend.C
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /v1/logs: %s", resp.Status)
		}
		break
	}
	stopForTest(t, c)
	if diff := cmp.Diff(wantOf(collectorCases...), readForTest(t, path)); diff != "" {
		t.Errorf("records (-sent +read):\n%s", diff)
	}
}
