package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// accessMessage is the message of the access record the stack's HTTP
// middleware writes at the end of each request.
var accessMessage = slogstack.DefaultConfig().HTTP.AccessMessage

// TestBridge sends traced requests through the stack to the OpenTelemetry
// log bridge and checks what the SDK exported: every record of a sampled
// request, with the request's trace ID; nothing of a request not sampled;
// every record of a failing request, whatever its sampling.
func TestBridge(t *testing.T) {
	leakcheck.Check(t)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	const rate = 0.3
	exp := &memoryExporter{}
	cfg := slogstack.DefaultConfig()
	cfg.Level = slog.LevelDebug
	cfg.SamplingPolicy.Rate = rate
	a, err := newApp(exp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.http)

	type request struct {
		traceID string
		fail    bool
		sampled bool
	}
	var reqs []request
	sampledOK, unsampledOK := 0, 0
	for i := range 80 {
		var id [16]byte
		copy(id[:], fmt.Sprintf("bridge-test-%04d", i))
		traceID := hex.EncodeToString(id[:])
		r := request{traceID: traceID, fail: i%5 == 4, sampled: sampling.Decide(traceID, rate)}
		path := fmt.Sprintf("/orders/%d", i)
		if r.fail {
			path += "/fail"
		} else if r.sampled {
			sampledOK++
		} else {
			unsampledOK++
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Correlation-ID"); got != traceID {
			t.Fatalf("X-Correlation-ID = %q, want the trace ID %q", got, traceID)
		}
		reqs = append(reqs, r)
	}
	if sampledOK == 0 || unsampledOK == 0 {
		t.Fatalf("the trace IDs sample %d and leave out %d successful requests: both must occur", sampledOK, unsampledOK)
	}
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	byTrace := map[string][]sdklog.Record{}
	for _, r := range exp.Records() {
		byTrace[r.TraceID().String()] = append(byTrace[r.TraceID().String()], r)
	}
	for _, r := range reqs {
		got := byTrace[r.traceID]
		var bodies []string
		for _, rec := range got {
			body := rec.Body()
			bodies = append(bodies, body.AsString())
			if !rec.SpanID().IsValid() {
				t.Errorf("trace %s: record %q has no span ID", r.traceID, body.AsString())
			}
			if attr(rec, "correlation_id") != r.traceID {
				t.Errorf("trace %s: record %q has correlation_id %q", r.traceID, body.AsString(), attr(rec, "correlation_id"))
			}
			if attr(rec, "trace_id") != "" {
				t.Errorf("trace %s: record %q carries a trace_id attribute beside the bridge's own field", r.traceID, body.AsString())
			}
		}
		switch {
		case r.fail:
			want := []string{"loading order", "order failed", accessMessage}
			if !equal(bodies, want) {
				t.Errorf("failing request %s (sampled %v): exported %q, want %q", r.traceID, r.sampled, bodies, want)
			}
			if len(got) == 3 && !r.sampled && attr(got[1], "_sample_reason") != "error" {
				t.Errorf("failing request %s: _sample_reason %q, want error", r.traceID, attr(got[1], "_sample_reason"))
			}
			if len(got) == 3 && got[1].Severity() != log.SeverityError {
				t.Errorf("failing request %s: severity %v, want ERROR", r.traceID, got[1].Severity())
			}
		case r.sampled:
			want := []string{"cache miss", "order fetched", accessMessage}
			if !equal(bodies, want) {
				t.Errorf("sampled request %s: exported %q, want %q", r.traceID, bodies, want)
			}
		default:
			if len(got) != 0 {
				t.Errorf("request %s was not sampled but exported %q", r.traceID, bodies)
			}
		}
	}
}

func attr(r sdklog.Record, key string) string {
	var v string
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if string(kv.Key) == key {
			v = kv.Value.String()
			return false
		}
		return true
	})
	return v
}

func equal(a, b []string) bool {
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
