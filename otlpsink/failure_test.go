package otlpsink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
)

func TestPermanentErrorCountsFailed(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerBad)
	s := newTestStack(t, plainConfig(true), testOptions(c))
	const n = 300
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	err := s.Shutdown(context.Background())
	st := s.ExportStats()
	if diff := cmp.Diff(ExportStats{Handed: n, Failed: n, Exports: st.Exports, FailedExports: st.Exports, LastError: st.LastError}, st); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if st.Exports == 0 || !strings.Contains(st.LastError, "400 Bad Request") || !strings.Contains(st.LastError, "malformed") {
		t.Errorf("Exports %d, LastError %q: want the 400 and its body", st.Exports, st.LastError)
	}
	if err == nil || !strings.Contains(err.Error(), "300 of 300 records not exported: 300 failed") {
		t.Errorf("Shutdown: %v, want the 300 failed records", err)
	}
	if len(c.received()) != 0 {
		t.Errorf("server kept %d records", len(c.received()))
	}
}

func TestPartialSuccessCountsTheRejected(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerRejectOne)
	s := newTestStack(t, plainConfig(true), testOptions(c))
	const n = 200
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	err := s.Shutdown(context.Background())
	st := s.ExportStats()
	requests := uint64(c.requestCount())
	want := ExportStats{Handed: n, Exported: n - requests, Failed: requests, Exports: requests, FailedExports: requests,
		LastError: "OTLP partial success: one too many (1 logs rejected)"}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if got := uint64(len(c.received())); got != st.Exported {
		t.Errorf("server kept %d records, Exported %d", got, st.Exported)
	}
	if err == nil {
		t.Error("Shutdown: nil, want the rejected records")
	}
}

func TestClosedServerCountsFailed(t *testing.T) {
	c := newCollector(t)
	c.close()
	opts := testOptions(c)
	opts.ExportTimeout = 100 * time.Millisecond // a refused connection is retried until then
	s := newTestStack(t, plainConfig(true), opts)
	const n = 100
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	if err := s.Shutdown(context.Background()); err == nil {
		t.Error("Shutdown: nil, want the failed records")
	}
	st := s.ExportStats()
	if st.Handed != n || st.Failed != n || st.Exported != 0 || st.LastError == "" {
		t.Errorf("ExportStats %+v: want all %d failed with an error", st, n)
	}
	checkConserved(t, st)
}

// TestOutageWithRoomLosesNothing: the server answers 503 for a while; the
// exporter retries, the batch processor holds the rest, and nothing is lost.
func TestOutageWithRoomLosesNothing(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerBusy)
	opts := testOptions(c)
	opts.ExporterOptions = []otlploghttp.Option{otlploghttp.WithRetry(otlploghttp.RetryConfig{
		Enabled: true, InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond, MaxElapsedTime: time.Minute,
	})}
	s := newTestStack(t, plainConfig(true), opts)
	const n = 1000
	for i := range n {
		s.Logger().Info("record", "i", i)
		if i == n/2 {
			// The outage is seen: at least 3 refused attempts.
			for range 3 {
				<-c.arrived
			}
		}
	}
	checkConserved(t, s.ExportStats())
	c.setAnswer(answerOK)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	st := s.ExportStats()
	if st.Handed != n || st.Exported != n || uint64(len(c.received())) != n {
		t.Errorf("ExportStats %+v, server received %d: want all %d exported", st, len(c.received()), n)
	}
	if as := s.Stats().Async; as.Dropped != 0 {
		t.Errorf("async queue dropped %d", as.Dropped)
	}
}

// TestStalledServerShutdownAbandons: the first export never returns; Shutdown
// with a short deadline returns by it, every record not exported abandoned.
func TestStalledServerShutdownAbandons(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerStall)
	opts := testOptions(c)
	opts.QueueSize, opts.BatchSize = 50, 10
	s := newTestStack(t, plainConfig(true), opts)
	const n = 200
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	<-c.arrived // an export is stalled
	const deadline = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := s.Shutdown(ctx)
	elapsed := time.Since(start)
	if elapsed > deadline+2*time.Second { // a hang guard, not a performance assertion
		t.Errorf("Shutdown took %v with a %v deadline", elapsed, deadline)
	}
	if err == nil || !strings.Contains(err.Error(), "abandoned at shutdown") {
		t.Errorf("Shutdown: %v, want abandoned records", err)
	}
	st := s.ExportStats()
	async := s.Stats().Async
	// The record the async queue was handing over when its Close gave up
	// is handed (and abandoned); the queue may not have counted it yet.
	if st.Handed != stackWritten(s)+uint64(async.InFlight) || st.Abandoned != st.Handed || st.Exported+st.Failed+st.Dropped+st.Pending != 0 {
		t.Errorf("ExportStats %+v, stack wrote %d: want every handed record abandoned", st, stackWritten(s))
	}
	if got := async.Accepted; got != async.Written+async.Dropped+async.Lost+async.Failed+uint64(async.InFlight) {
		t.Errorf("async stats do not add up: %+v", async)
	}
	if st.Handed+async.Dropped+async.Lost+async.Failed != n {
		t.Errorf("handed %d + async dropped %d + lost %d != %d logged", st.Handed, async.Dropped, async.Lost, n)
	}
	c.unstall()
	if got := s.ExportStats(); got != st {
		t.Errorf("ExportStats changed after Shutdown: %+v, was %+v", got, st)
	}
}

// TestCallersNeverWait: without an async queue, a full batch processor
// drops the caller's record at once, counted.
func TestCallersNeverWait(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerStall)
	opts := testOptions(c)
	opts.QueueSize, opts.BatchSize = 10, 10
	s := newTestStack(t, plainConfig(false), opts)
	const n = 100
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	st := s.ExportStats()
	if diff := cmp.Diff(ExportStats{Handed: n, Dropped: n - 10, Pending: 10}, st); diff != "" {
		t.Errorf("ExportStats while stalled (-want +got):\n%s", diff)
	}
	c.unstall()
	err := s.Shutdown(context.Background())
	st = s.ExportStats()
	if diff := cmp.Diff(ExportStats{Handed: n, Exported: 10, Dropped: n - 10, Exports: 1}, st); diff != "" {
		t.Errorf("ExportStats after Shutdown (-want +got):\n%s", diff)
	}
	if err == nil || !strings.Contains(err.Error(), "90 dropped") {
		t.Errorf("Shutdown: %v, want the 90 dropped", err)
	}
}

// TestAfterShutdownAbandoned: records logged after Shutdown are handed
// (synchronously, by the stack) and counted abandoned.
func TestAfterShutdownAbandoned(t *testing.T) {
	for _, async := range []bool{true, false} {
		c := newCollector(t)
		s := newTestStack(t, plainConfig(async), testOptions(c))
		s.Logger().Info("before")
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		s.Logger().Info("after")
		s.Logger().Info("after")
		st := s.ExportStats()
		if diff := cmp.Diff(ExportStats{Handed: 3, Exported: 1, Abandoned: 2, Exports: 1}, st); diff != "" {
			t.Errorf("async=%v: ExportStats (-want +got):\n%s", async, diff)
		}
		if stackWritten(s) != st.Handed {
			t.Errorf("async=%v: stack wrote %d, Handed %d", async, stackWritten(s), st.Handed)
		}
	}
}

// TestFullQueueWaitsOnTheAsyncGoroutine: with an async queue, a record
// that finds the batch processor full waits for room on the queue's
// goroutine (the callers return at once) and is exported once the server
// answers again: nothing dropped.
func TestFullQueueWaitsOnTheAsyncGoroutine(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerStall)
	opts := testOptions(c)
	opts.QueueSize, opts.BatchSize = 10, 5
	s := newTestStack(t, plainConfig(true), opts)
	const n = 100
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	<-c.arrived // an export is stalled; the rest waits
	c.unstall()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	st := s.ExportStats()
	if diff := cmp.Diff(ExportStats{Handed: n, Exported: n, Exports: st.Exports}, st); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if got := len(c.received()); got != n {
		t.Errorf("server received %d, want %d", got, n)
	}
	if as := s.Stats().Async; as.Dropped != 0 || as.Written != n {
		t.Errorf("async queue: %+v, want %d written and none dropped", as, n)
	}
}

// TestTooLargeRequestCountsFailed: an export whose request body exceeds
// the exporter's limit (otlploghttp.WithMaxRequestSize, 64 MiB by default)
// is not sent, nor split: all its records fail, counted, with the reason.
func TestTooLargeRequestCountsFailed(t *testing.T) {
	c := newCollector(t)
	opts := testOptions(c)
	opts.QueueSize, opts.BatchSize = 10, 10
	opts.ExportInterval = time.Hour // one export, of the 10 records
	opts.ExporterOptions = append(opts.ExporterOptions, otlploghttp.WithMaxRequestSize(4<<10))
	s := newTestStack(t, plainConfig(false), opts)
	for i := range 10 {
		s.Logger().Info("record", "i", i, "big", strings.Repeat("x", 1<<10))
	}
	err := s.Shutdown(context.Background())
	st := s.ExportStats()
	want := ExportStats{Handed: 10, Failed: 10, Exports: 1, FailedExports: 1, LastError: "request body too large: exceeded 4096 bytes"}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if err == nil || c.requestCount() != 0 {
		t.Errorf("Shutdown: %v, server saw %d requests: want the 10 failed and none sent", err, c.requestCount())
	}
}
