package main

import (
	"compress/gzip"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/sampling"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// otlpRecord is one log record the test collector accepted.
type otlpRecord struct {
	service string            // resource attribute service.name
	body    string            // the message
	attrs   map[string]string // the record's attributes, groups flattened with "."
	traceID string            // hex; "" when the record has none
}

// otlpServer is an OTLP/HTTP logs endpoint that decodes each
// ExportLogsServiceRequest and answers every export with status (200
// accepts it).
type otlpServer struct {
	*httptest.Server
	status int

	mu      sync.Mutex
	records []otlpRecord
	exports int
}

func newOTLPServer(t *testing.T, status int) *otlpServer {
	t.Helper()
	s := &otlpServer{status: status}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// newOTLPServerOn is newOTLPServer listening on ln.
func newOTLPServerOn(t *testing.T, status int, ln net.Listener) *otlpServer {
	t.Helper()
	s := &otlpServer{status: status}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Server.Listener.Close()
	s.Server.Listener = ln
	s.Server.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *otlpServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/logs" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	var req collogspb.ExportLogsServiceRequest
	if err == nil {
		err = proto.Unmarshal(data, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.status != http.StatusOK {
		http.Error(w, "refused by the test collector", s.status)
		return
	}
	s.mu.Lock()
	s.records = append(s.records, decodeOTLP(&req)...)
	s.exports++
	s.mu.Unlock()
	out, _ := proto.Marshal(&collogspb.ExportLogsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (s *otlpServer) received() []otlpRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]otlpRecord(nil), s.records...)
}

// decodeOTLP flattens a request into its records.
func decodeOTLP(req *collogspb.ExportLogsServiceRequest) []otlpRecord {
	var out []otlpRecord
	for _, rl := range req.GetResourceLogs() {
		res := map[string]string{}
		flattenOTLP(res, "", rl.GetResource().GetAttributes())
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				rec := otlpRecord{service: res["service.name"], body: lr.GetBody().GetStringValue(), attrs: map[string]string{}}
				if id := lr.GetTraceId(); len(id) > 0 {
					rec.traceID = hex.EncodeToString(id)
				}
				flattenOTLP(rec.attrs, "", lr.GetAttributes())
				out = append(out, rec)
			}
		}
	}
	return out
}

func flattenOTLP(m map[string]string, prefix string, kvs []*commonpb.KeyValue) {
	for _, kv := range kvs {
		if kvl := kv.GetValue().GetKvlistValue(); kvl != nil {
			flattenOTLP(m, prefix+kv.GetKey()+".", kvl.GetValues())
			continue
		}
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[prefix+kv.GetKey()] = v.GetStringValue()
		default:
			m[prefix+kv.GetKey()] = strings.TrimSpace(fmt.Sprint(v.GetValue()))
		}
	}
}

// TestOTLPExport runs the service as a process with -otlp-endpoint in
// front of a test OTLP/HTTP collector at a sampling rate of 0.5, sends it
// work, failing and batch requests and checks, after SIGTERM: nothing on
// its standard output; the collector received exactly the records the
// report says were exported, which are all it wrote (handed), none failed,
// dropped or abandoned; every record names the service (OTEL_SERVICE_NAME)
// and carries its request's correlation ID and trace ID, and no trace_id
// attribute (the OTLP record has its own field); a work request's records
// arrived exactly when sampling.Decide kept it, a failing request's
// always; the JSON report has the export and equals the text report.
func TestOTLPExport(t *testing.T) {
	const rate = 0.5
	collector := newOTLPServer(t, http.StatusOK)
	path := filepath.Join(t.TempDir(), "service-0.json")
	p := startProc(t, "otlp", []string{"OTEL_SERVICE_NAME=service-0", fmt.Sprintf("LOG_SAMPLING_RATE=%g", rate)},
		"-otlp-endpoint", collector.URL, "-report-json", path)
	client := fleetClient(t)
	const steps = 3
	var calls []*call
	for i := range 60 {
		calls = append(calls, &call{id: fmt.Sprintf("otlp-work-%02d", i), url: fmt.Sprintf("%s/api/v1/work?n=%d", p.url, steps), want: http.StatusOK})
	}
	for i := range 10 {
		calls = append(calls, &call{id: fmt.Sprintf("otlp-fail-%02d", i), url: fmt.Sprintf("%s/api/v1/fail?n=%d", p.url, steps), want: http.StatusInternalServerError})
	}
	for range 10 {
		calls = append(calls, &call{url: p.url + "/api/v1/users?ids=1,2,3,4,5,6,7,8,9,10", want: http.StatusOK})
	}
	sendAll(t, client, 4, calls)
	p.stop(t)

	if out := p.stdout.String(); out != "" {
		t.Errorf("the service wrote to its standard output with -otlp-endpoint:\n%.500s", out)
	}
	got := readReportJSON(t, path, true)
	want := reportJSONFromText(t, p.stderr.String(), "service-0", uint64(len(calls)), "")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-text report +JSON):\n%s\ntext report:\n%s", diff, p.stderr.String())
	}
	records := collector.received()
	e := got.Export
	wantExport := exportStatsJSON{Handed: got.Written, Exported: uint64(len(records)), Exports: e.Exports}
	if diff := cmp.Diff(wantExport, *e); diff != "" || e.Exports == 0 || !got.Accounted {
		t.Errorf("export (-want +got), with the collector's %d records:\n%s\ntext report:\n%s", len(records), diff, p.stderr.String())
	}

	kept := map[string][]string{} // correlation ID → the messages of its records
	for _, r := range records {
		if r.service != "service-0" {
			t.Errorf("record %q has service.name %q, want service-0", r.body, r.service)
		}
		if _, ok := r.attrs["trace_id"]; ok {
			t.Errorf("record %q has a trace_id attribute besides the OTLP field", r.body)
		}
		id := r.attrs["correlation_id"]
		if !strings.HasPrefix(id, "otlp-") {
			continue
		}
		if len(r.traceID) != 32 || r.traceID == strings.Repeat("0", 32) {
			t.Errorf("%s record %q has trace ID %q", id, r.body, r.traceID)
		}
		kept[id] = append(kept[id], r.body)
	}
	for _, c := range calls {
		if c.id == "" {
			continue
		}
		var wantMsgs []string
		if strings.Contains(c.id, "fail") || sampling.Decide(c.id, rate) {
			for range steps {
				wantMsgs = append(wantMsgs, "work step")
			}
			if strings.Contains(c.id, "fail") {
				wantMsgs = append(wantMsgs, "work failed")
			}
			wantMsgs = append(wantMsgs, accessMessage)
		}
		if diff := cmp.Diff(wantMsgs, kept[c.id]); diff != "" {
			t.Errorf("%s: records at the collector (-want +got):\n%s", c.id, diff)
		}
	}
}

// TestOTLPExportRefused runs the service against a collector that refuses
// every export with 400 (permanent: no retry): the records are counted as
// failed, with the last error, the report still accounts for every one,
// and the service exits with an error that says the logging shutdown lost
// records.
func TestOTLPExportRefused(t *testing.T) {
	collector := newOTLPServer(t, http.StatusBadRequest)
	path := filepath.Join(t.TempDir(), "refused.json")
	p := startProc(t, "refused", []string{"OTEL_SERVICE_NAME=service-r", "LOG_SAMPLING_RATE=1"},
		"-otlp-endpoint", collector.URL, "-report-json", path)
	client := fleetClient(t)
	var calls []*call
	for i := range 300 {
		calls = append(calls, &call{id: fmt.Sprintf("refused-%03d", i), url: p.url + "/api/v1/work?n=2", want: http.StatusOK})
	}
	sendAll(t, client, 4, calls)
	err := p.terminate(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(p.stderr.String(), "logging shutdown") {
		t.Errorf("exit %v, want status 1 with the logging shutdown's error:\n%s", err, p.stderr.String())
	}
	got := readReportJSON(t, path, true)
	e := got.Export
	if e.LastError == "" || !strings.Contains(p.stderr.String(), "last error: "+e.LastError) {
		t.Errorf("last error %q, not in the text report:\n%s", e.LastError, p.stderr.String())
	}
	want := reportJSONFromText(t, p.stderr.String(), "service-r", uint64(len(calls)), e.LastError)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-text report +JSON):\n%s\ntext report:\n%s", diff, p.stderr.String())
	}
	// 300 requests of 2 steps and an access record each, and the startup
	// and stop records: all failed.
	wantExport := exportStatsJSON{Handed: got.Written, Failed: got.Written, Exports: e.Exports, FailedExports: e.Exports, LastError: e.LastError}
	if diff := cmp.Diff(wantExport, *e); diff != "" || got.Written < 300*3+2 || !got.Accounted || len(collector.received()) != 0 {
		t.Errorf("export (-want +got):\n%s\nreport %+v", diff, got)
	}
	// More records than one export takes: the exports before the last
	// one report their error to OpenTelemetry's error handler, which
	// writes it once, prefixed, however many exports failed; the last
	// one's error is Shutdown's.
	var handled []string
	for line := range strings.Lines(p.stderr.String()) {
		if strings.Contains(line, "400 Bad Request") && !strings.HasPrefix(line, "service: ") &&
			!strings.HasPrefix(line, "otlpsink: ") && !strings.HasPrefix(line, "export failed ") {
			handled = append(handled, line)
		}
	}
	if len(handled) != 1 || !strings.HasPrefix(handled[0], "otel: "+e.LastError) || e.FailedExports < 2 {
		t.Errorf("%d failed exports, lines of the OpenTelemetry error handler: %q, want the refusal once", e.FailedExports, handled)
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestOTLPExportRidesOutCollectorRestart runs the service as a process
// with -otlp-endpoint at an address where no collector listens (one being
// restarted) and serves requests until more records are pending (the
// admin listener's "otlp_export") than the batch processor exports at
// once, so that an export has been started while nothing listens and its
// connection refused; then it starts the collector there and stops the
// service. The refused export was attempted again until the collector
// listened (otlpsink does it): every record written arrived exactly once,
// none failed, and the service exits cleanly.
func TestOTLPExportRidesOutCollectorRestart(t *testing.T) {
	const batchSize = 512 // otlpsink's default BatchSize
	addr := freeAddr(t)
	path := filepath.Join(t.TempDir(), "restart.json")
	p := startProc(t, "restart", []string{"OTEL_SERVICE_NAME=service-r", "LOG_SAMPLING_RATE=1"},
		"-otlp-endpoint", "http://"+addr, "-report-json", path, "-admin-addr", "127.0.0.1:0")
	client := fleetClient(t)
	for i := 0; ; i++ {
		var vars struct {
			Export otlpsinkStats `json:"otlp_export"`
		}
		getJSON(t, client, p.admin+"/debug/vars", &vars)
		if e := vars.Export; e.FailedExports != 0 {
			t.Fatalf("an export failed while the collector was down: %+v", e)
		} else if e.Pending > batchSize {
			break
		}
		sendAll(t, client, 2, []*call{{id: fmt.Sprintf("restart-%03d", i), url: p.url + "/api/v1/work?n=10", want: http.StatusOK}})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	collector := newOTLPServerOn(t, http.StatusOK, ln)
	p.stop(t)

	got := readReportJSON(t, path, true)
	want := exportStatsJSON{Handed: got.Written, Exported: got.Written, Exports: got.Export.Exports}
	if diff := cmp.Diff(want, *got.Export); diff != "" || !got.Accounted || got.Written <= batchSize {
		t.Errorf("export (-want +got):\n%s\nreport:\n%s", diff, p.stderr.String())
	}
	if n := len(collector.received()); uint64(n) != got.Written {
		t.Errorf("the collector received %d records, the service wrote %d", n, got.Written)
	}
}

// otlpsinkStats is the JSON of otlpsink.ExportStats at /debug/vars.
type otlpsinkStats struct {
	FailedExports, Pending uint64
}

// TestOTLPCollectorDown runs the service against an address where no
// collector ever listens, logs more than the pipeline holds (the async
// queue's goroutine ends up waiting for room in the batch processor) and
// stops it with a short -shutdown-timeout: the shutdown gives up at its
// deadline with a record still in the sink, which the pipeline then lets
// go as abandoned; the report, taken once that call returned, counts
// every record once (exit status 1, nothing exported, every record
// written abandoned, the rest dropped by the async queue, accounted for),
// and the JSON report equals the text report.
func TestOTLPCollectorDown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "down.json")
	p := startProc(t, "down", []string{"OTEL_SERVICE_NAME=service-d", "LOG_SAMPLING_RATE=1"},
		"-otlp-endpoint", "http://"+freeAddr(t), "-report-json", path, "-shutdown-timeout", "500ms")
	client := fleetClient(t)
	var calls []*call
	for i := range 600 {
		calls = append(calls, &call{id: fmt.Sprintf("down-%03d", i), url: p.url + "/api/v1/work?n=30", want: http.StatusOK})
	}
	sendAll(t, client, 4, calls)
	err := p.terminate(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("exit %v, want status 1:\n%s", err, p.stderr.String())
	}
	got := readReportJSON(t, path, true)
	want := reportJSONFromText(t, p.stderr.String(), "service-d", uint64(len(calls)), got.Export.LastError)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-text report +JSON):\n%s\ntext report:\n%s", diff, p.stderr.String())
	}
	e := got.Export
	wantExport := exportStatsJSON{Handed: got.Written, Abandoned: got.Written, Exports: e.Exports, FailedExports: e.FailedExports, LastError: e.LastError}
	if diff := cmp.Diff(wantExport, *e); diff != "" || !got.Accounted || got.Stack.AsyncDropped == 0 || got.Stack.InFlight != 0 {
		t.Errorf("export (-want +got):\n%s\nreport:\n%s", diff, p.stderr.String())
	}
}
