package otlpsink

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// answer is how the test Collector answers an export.
type answer int

const (
	answerOK        answer = iota // 200: accepted
	answerBusy                    // 503: retryable, nothing kept
	answerBad                     // 400: permanent, nothing kept
	answerStall                   // no answer until the request is cancelled or the server unstalls
	answerRejectOne               // 200 with a partial success rejecting one record of each request
	answerWarn                    // 200 with a partial success rejecting none: a warning
)

// received is one log record the test Collector accepted.
type received struct {
	Service string
	Scope   string
	Body    string
	Attrs   map[string]string
	TraceID []byte
	SpanID  []byte
	// Severity, Time and Raw are what testing/slogtest needs.
	Severity string
	Time     uint64
	Raw      []*commonpb.KeyValue
}

// collector is an OTLP/HTTP logs endpoint decoding ExportLogsServiceRequest.
type collector struct {
	t      testing.TB
	server *httptest.Server

	mu       sync.Mutex
	answer   answer
	records  []received
	requests int
	stalled  chan struct{} // closed to release stalled requests
	arrived  chan struct{} // gets a token on each request (never blocks)
}

func newCollector(t testing.TB) *collector {
	t.Helper()
	c := &collector{t: t, stalled: make(chan struct{}), arrived: make(chan struct{}, 1024)}
	c.server = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.close)
	return c
}

// close releases stalled requests and closes the server.
func (c *collector) close() {
	c.unstall()
	c.server.CloseClientConnections()
	c.server.Close()
}

func (c *collector) unstall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stalled:
	default:
		close(c.stalled)
	}
}

func (c *collector) setAnswer(a answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answer = a
}

func (c *collector) received() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.records...)
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/logs" {
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
	if err != nil {
		return
	}
	var req collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(data, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	a := c.answer
	c.requests++
	stalled := c.stalled
	c.mu.Unlock()
	select {
	case c.arrived <- struct{}{}:
	default:
	}
	switch a {
	case answerBusy:
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	case answerBad:
		http.Error(w, "malformed", http.StatusBadRequest)
		return
	case answerStall:
		select {
		case <-stalled:
		case <-r.Context().Done():
			return
		}
	}
	records := decode(&req)
	var resp collogspb.ExportLogsServiceResponse
	if a == answerRejectOne && len(records) > 0 {
		records = records[1:]
		resp.PartialSuccess = &collogspb.ExportLogsPartialSuccess{RejectedLogRecords: 1, ErrorMessage: "one too many"}
	}
	if a == answerWarn {
		resp.PartialSuccess = &collogspb.ExportLogsPartialSuccess{ErrorMessage: "attribute truncated"}
	}
	c.mu.Lock()
	c.records = append(c.records, records...)
	c.mu.Unlock()
	out, _ := proto.Marshal(&resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// decode flattens a request into its records.
func decode(req *collogspb.ExportLogsServiceRequest) []received {
	var out []received
	for _, rl := range req.GetResourceLogs() {
		service := ""
		for _, kv := range rl.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				attrs := map[string]string{}
				flatten(attrs, "", lr.GetAttributes())
				out = append(out, received{
					Service:  service,
					Scope:    sl.GetScope().GetName(),
					Body:     lr.GetBody().GetStringValue(),
					Attrs:    attrs,
					TraceID:  lr.GetTraceId(),
					SpanID:   lr.GetSpanId(),
					Severity: lr.GetSeverityText(),
					Time:     lr.GetTimeUnixNano(),
					Raw:      lr.GetAttributes(),
				})
			}
		}
	}
	return out
}

// flatten writes kvs into m, groups joined with ".", values as text.
func flatten(m map[string]string, prefix string, kvs []*commonpb.KeyValue) {
	for _, kv := range kvs {
		key := prefix + kv.GetKey()
		if group := kv.GetValue().GetKvlistValue(); group != nil {
			flatten(m, key+".", group.GetValues())
			continue
		}
		m[key] = valueText(kv.GetValue())
	}
}

func valueText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case nil:
		return ""
	default:
		return prototextValue(v)
	}
}

func prototextValue(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	default:
		return v.String()
	}
}

// requestCount returns the number of export requests the server has seen.
func (c *collector) requestCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
