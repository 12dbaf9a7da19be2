package otelmetrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/internal/forcetoken"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/scope"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// noopHandler is a sink that takes every record.
type noopHandler = logtest.Nop

// shutdown shuts stack down, failing t on an error.
func shutdown(t *testing.T, stack *slogstack.Stack) {
	t.Helper()
	if err := stack.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// loadMux is a service whose routes exercise every layer: records of
// sampled and unsampled requests, errors that rescue them, 5xx, panics,
// system records that fold, and secrets that are masked.
func loadMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		log := scope.Logger(r.Context())
		log.Info("order loaded", "password", "hunter2", "note", "sent Bearer abcdefghijklmnopqrstuvwxyz012345")
		for range 8 {
			log.Info("Health check completed", "target", "db")
		}
		log.With(aggregation.System()).Info("pool stats", "open", 12)
		log.Debug("below the level")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		log := scope.Logger(r.Context())
		log.Info("about to fail", "card", "4111 1111 1111 1111")
		log.Error("failed", "err", "boom")
		http.Error(w, "failed", http.StatusInternalServerError)
	})
	mux.HandleFunc("/status500", func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("about to answer 500")
		w.WriteHeader(http.StatusInternalServerError)
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("about to panic")
		panic("handler panicked")
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {})
	return mux
}

// forceKey is the forced-sampling key of the load's stack.
var forceKey = []byte("0123456789abcdef0123")

// serve sends n requests through h, cycling over the routes, the headers
// a correlation ID can come from and forced-sampling tokens (valid,
// forged, expired, malformed), recovering what the middleware passes on.
func serve(h http.Handler, worker, n int) {
	paths := []string{"/work", "/work", "/work", "/fail", "/status500", "/panic", "/health"}
	for i := range n {
		req := httptest.NewRequest(http.MethodPost, paths[i%len(paths)], strings.NewReader(`{"q":1}`))
		req.Header.Set("Content-Type", "application/json")
		id := fmt.Sprintf("load-%d-%d", worker, i)
		switch i % 5 {
		case 1:
			req.Header.Set("X-Correlation-ID", id)
		case 2:
			req.Header.Set("X-Correlation-ID", "bad id\n")
		case 3:
			req.Header.Set("traceparent", fmt.Sprintf("00-%032x-%016x-01", i+1, i+1))
		case 4:
			req.Header.Set("X-Correlation-ID", id)
			req.Header.Set("X-Log-Force", forceHeader(id, i/5))
		}
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), req)
		}()
	}
}

// forceHeader is the i-th of a cycle of X-Log-Force values for id: valid,
// forged (another key), expired, malformed.
func forceHeader(id string, i int) string {
	switch i % 4 {
	case 0:
		return forcetoken.Mint(forceKey, id, time.Now().Add(time.Hour))
	case 1:
		return forcetoken.Mint([]byte("another key, 16+ bytes"), id, time.Now().Add(time.Hour))
	case 2:
		return forcetoken.Mint(forceKey, id, time.Now().Add(-time.Hour))
	default:
		return "v1.not-a-token"
	}
}

// mustBeNonZero are fields the load must move, so that the comparison is
// not of zeros.
var mustBeNonZero = []string{
	"Records", "HTTP.Requests", "HTTP.Sampled", "HTTP.NotSampled", "HTTP.Reasons.Rate",
	"HTTP.Reasons.Excluded", "HTTP.Kept", "HTTP.ServerErrorKeeps", "HTTP.Panics",
	"HTTP.IDs.Generated", "HTTP.IDs.FromCorrelationHeader", "HTTP.IDs.RejectedCorrelationHeader",
	"HTTP.IDs.FromTraceparent", "HTTP.Reasons.Forced", "HTTP.Force.Accepted", "HTTP.Force.Invalid",
	"HTTP.Force.Forged", "HTTP.Force.Expired", "Sampling.RequestsSampled.Forced", "HTTP.RequestBodyBytes", "HTTP.ResponseBodyBytes",
	"Sampling.RequestsSampled.Rate", "Sampling.RequestsNotSampled.Rate", "Sampling.RequestsKept",
	"Sampling.RequestsDropped", "Sampling.RecordsPassed", "Sampling.RecordsBuffered",
	"Sampling.RecordsRescued", "Sampling.RecordsDropped", "Sampling.UnscopedPassed",
	"Scope.Records", "Scope.WithCorrelationID", "Aggregation.PassedUnmatched",
	"Aggregation.PassedMatched", "Aggregation.Folded", "Aggregation.FoldedWritten",
	"Redact.Records", "Redact.RecordsChanged", "Redact.KeyMasked", "Redact.Patterns.Bearer",
	"Redact.Patterns.Card", "Async.Accepted", "Async.Written", "Async.Batches", "Async.HighWater",
	"Async.AcceptedBytes", "Async.WrittenBytes",
}

func TestMetricsEqualStatsAfterLoad(t *testing.T) {
	leakcheck.Check(t)
	var out logtest.Buffer
	cfg := slogstack.DefaultConfig()
	cfg.HTTP.Body.Request, cfg.HTTP.Body.Response = true, true
	cfg.HTTP.ForceKey = forceKey
	stack, err := slogstack.NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	reader, provider := newReader(t)
	if _, err := Register(provider.Meter("slogstack"), stack); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, reader).values; len(got) == 0 || got[series{"slogstack.http.requests", ""}] != 0 {
		t.Fatalf("before any request: %v", got)
	} else if _, ok := got[series{"slogstack.http.requests", ""}]; ok {
		t.Errorf("HTTP points reported before Middleware was called")
	}

	h := stack.Middleware(loadMux())
	var wg sync.WaitGroup
	for worker := range 4 {
		wg.Go(func() { serve(h, worker, 350) })
	}
	wg.Go(func() {
		for range 200 {
			stack.Logger().Info("Metric recorded", "name", "qps")
		}
	})
	wg.Go(func() { collectMonotonic(t, reader, 20) })
	wg.Wait()
	shutdown(t, stack)

	st := stack.Stats()
	got := collect(t, reader)
	if diff := cmp.Diff(expected(&st), got.values); diff != "" {
		t.Errorf("data points (-want Stats +got metrics):\n%s", diff)
	}
	for field, name := range summed {
		if want, _ := fieldValue(&st, field); got.sum(name) != want {
			t.Errorf("the points of %s sum to %d, Stats.%s = %d", name, got.sum(name), field, want)
		}
	}
	for _, field := range mustBeNonZero {
		if v, ok := fieldValue(&st, field); !ok || v == 0 {
			t.Errorf("the load left Stats.%s at zero", field)
		}
	}
	if len(out.Lines(t)) == 0 {
		t.Error("the stack wrote nothing")
	}
}

// collectMonotonic collects n times while the load runs: no counter
// point may decrease from one collection to the next, and each collection,
// read from one Stats snapshot, keeps the async queue's conservation law.
func collectMonotonic(t *testing.T, reader *sdkmetric.ManualReader, n int) {
	last := map[series]int64{}
	for range n {
		c, err := read(reader)
		if err != nil {
			t.Error(err)
			return
		}
		if accepted, ok := c.values[series{"slogstack.async.accepted_records", ""}]; ok {
			settled := c.sum("slogstack.async.records") + c.sum("slogstack.async.queue.depth") + c.sum("slogstack.async.in_flight")
			if accepted != settled {
				t.Errorf("async: %d records accepted, %d written, failed, skipped, dropped, lost, queued or in flight", accepted, settled)
			}
		}
		for s, v := range c.values {
			if c.kinds[s.name] == "counter" && v < last[s] {
				t.Errorf("%v went down from %d to %d", s, last[s], v)
			}
			last[s] = v
		}
	}
}
