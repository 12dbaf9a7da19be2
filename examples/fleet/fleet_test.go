package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/sampling"
)

// builtService is the service's binary, built once per test binary.
var builtService struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtService.dir != "" {
		os.RemoveAll(builtService.dir)
	}
	os.Exit(code)
}

// serviceBinary builds the service the first time a test needs it.
func serviceBinary(t *testing.T) string {
	t.Helper()
	builtService.once.Do(func() {
		if builtService.dir, builtService.err = os.MkdirTemp("", "fleet-test-"); builtService.err != nil {
			return
		}
		builtService.path, builtService.err = buildService(context.Background(), builtService.dir)
	})
	if builtService.err != nil {
		t.Fatal(builtService.err)
	}
	return builtService.path
}

// fleetContext is the context a test runs a fleet with: it ends a while
// before the test binary's deadline (go test -timeout), so that the fleet
// ends its load and shuts its services down in order instead of the
// binary's panic leaving them running.
func fleetContext(t *testing.T) context.Context {
	t.Helper()
	deadline, ok := t.Deadline()
	if !ok {
		return t.Context()
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline.Add(-serviceStopTimeout-collectorStopTimeout))
	t.Cleanup(cancel)
	return ctx
}

// runTestFleet runs the fleet of c with the service's binary and returns
// the run, its analysis and its printed report.
func runTestFleet(t *testing.T, c config) (*fleetRun, *fleetReport, string) {
	t.Helper()
	c.serviceBin = serviceBinary(t)
	c.outDir = t.TempDir()
	var progress bytes.Buffer
	run, err := runFleet(fleetContext(t), c, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	rep := analyze(run)
	var out strings.Builder
	rep.print(&out)
	t.Logf("report:\n%s", out.String())
	return run, rep, out.String()
}

// testConfig is a short fleet: 3 services, load for load at rate.
func testConfig(load, outage time.Duration, rate float64) config {
	return config{services: 3, load: load, outage: outage, clients: 16, rate: rate, steps: 2, failEvery: 10, headEvery: 4}
}

// accessMessage is the message of the access record the services'
// middleware writes at the end of each request.
var accessMessage = slogstack.DefaultConfig().HTTP.AccessMessage

// wantSequence is the messages service i of n writes for a kept request
// of path with steps steps, in order.
func wantSequence(path string, steps, i, n int) []string {
	var seq []string
	for range steps {
		seq = append(seq, "work step")
	}
	if path == failPath {
		if i < n-1 {
			seq = append(seq, "downstream call failed")
		}
		seq = append(seq, "work failed")
	}
	return append(seq, accessMessage)
}

// receivedRecords returns the records the Collector received for each
// correlation ID from each service, in order: [id][service].
func receivedRecords(run *fleetRun) map[string]map[string][]receivedRecord {
	recs := map[string]map[string][]receivedRecord{}
	for _, r := range run.received {
		if r.CorrelationID == "" {
			continue
		}
		if recs[r.CorrelationID] == nil {
			recs[r.CorrelationID] = map[string][]receivedRecord{}
		}
		recs[r.CorrelationID][r.Service] = append(recs[r.CorrelationID][r.Service], r)
	}
	return recs
}

// poolMessage is the message of the record the service's data layer logs
// at DEBUG for each query, the one the aggregation folds.
const poolMessage = "Connection pool size"

// messages returns the messages of recs, in order, each aggregation
// summary replaced by the records it says were folded into it (its _count
// copies of its message), after the others (a summary is written when its
// window ends, after the request's own records), and how many those are.
func messages(t *testing.T, recs []receivedRecord) ([]string, int) {
	t.Helper()
	var msgs, folded []string
	for _, r := range recs {
		n, ok := summaryCount(r)
		if !ok {
			msgs = append(msgs, r.Body)
			continue
		}
		if n == 0 || r.Body != poolMessage {
			t.Errorf("a summary of %d %q records: want a count and %q", n, r.Body, poolMessage)
		}
		for range n {
			folded = append(folded, r.Body)
		}
	}
	return append(msgs, folded...), len(folded)
}

// wantLookup is the messages the first service writes for a kept lookup,
// as messages gives them: one pool record per user read, the first of them
// individually, then "users fetched" and the access record, then the
// folded ones, folded of them.
func wantLookup(folded int) []string {
	var seq []string
	for range lookupSize - folded {
		seq = append(seq, poolMessage)
	}
	seq = append(seq, "users fetched", accessMessage)
	for range folded {
		seq = append(seq, poolMessage)
	}
	return seq
}

// checkRequests checks every request's records in what the Collector
// received: in every service it reaches, whole and in order, or in none
// (a lookup's in the first service only, its pool records individually or
// folded into a summary); the work requests kept exactly those
// sampling.Decide keeps; the failed ones kept everywhere.
func checkRequests(t *testing.T, run *fleetRun) {
	t.Helper()
	recs := receivedRecords(run)
	var keptWork, wantWork []string
	works := 0
	for _, q := range run.requests {
		if q.err != nil || q.status != q.wantStatus() {
			t.Errorf("%s %s: status %d, error %v; want %d", q.path, q.id, q.status, q.err, q.wantStatus())
			continue
		}
		kept := q.path == failPath || sampling.Decide(q.id, run.rate)
		if q.path == workPath {
			works++
			if kept {
				wantWork = append(wantWork, q.id)
			}
			if len(recs[q.id]) > 0 {
				keptWork = append(keptWork, q.id)
			}
		}
		got := map[string][]string{}
		folded := map[string]int{}
		for service, rs := range recs[q.id] {
			got[service], folded[service] = messages(t, rs)
		}
		want := map[string][]string{}
		if kept {
			for i, s := range run.services[:q.reach(len(run.services))] {
				if q.path == lookupPath {
					want[s.Service] = wantLookup(folded[s.Service])
				} else {
					want[s.Service] = wantSequence(q.path, run.cfg.steps, i, len(run.services))
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s (kept %v): records per service (-want +got):\n%s", q.path, q.id, kept, diff)
		}
	}
	if diff := cmp.Diff(wantWork, keptWork); diff != "" {
		t.Errorf("work requests kept (-sampling.Decide +Collector):\n%s", diff)
	}
	if len(wantWork) == 0 || len(wantWork) == works {
		t.Errorf("%d of %d work requests kept by the sampling: the IDs do not exercise both outcomes", len(wantWork), works)
	}
}

// receivedPerService counts the records the Collector received from each
// service.
func receivedPerService(run *fleetRun) map[string]uint64 {
	n := map[string]uint64{}
	for _, r := range run.received {
		n[r.Service]++
	}
	return n
}

// summariesPerService counts the aggregation summaries the Collector
// received from each service, and the records they say were folded.
func summariesPerService(run *fleetRun) (summaries, folded map[string]uint64) {
	summaries, folded = map[string]uint64{}, map[string]uint64{}
	for _, r := range run.received {
		if n, ok := summaryCount(r); ok {
			summaries[r.Service]++
			folded[r.Service] += n
		}
	}
	return summaries, folded
}

// TestFleet runs 3 services through the in-process Collector for a few
// seconds with a healthy Collector and checks what it received: each
// request's records whole in every service or in none, the kept work
// requests those sampling.Decide keeps, and no record lost: per service,
// the Collector's count == exported == handed == written, nothing failed,
// dropped, abandoned or dropped by the async queue. The report's verdict
// is ok and its rows say so. The lookups make the first service's
// aggregation fold records (the others' have none to fold), and the
// Collector receives its summaries, each with the count the service
// folded. The sampling rate is 0.5, so that some of the few lookups of a
// short run are kept, whatever their random IDs.
func TestFleet(t *testing.T) {
	t.Setenv("LOG_SAMPLING_RATE", "0.5")
	run, rep, out := runTestFleet(t, testConfig(3*time.Second, 0, 60))
	checkRequests(t, run)
	received := receivedPerService(run)
	summaries, folded := summariesPerService(run)
	type counts struct{ Received, Exported, Handed, Written, Lost, AsyncDropped, Pending, SummariesReceived, FoldedReceived uint64 }
	for i, s := range run.services {
		e := s.Export
		want := counts{Received: e.Handed, Exported: e.Handed, Handed: e.Handed, Written: e.Handed, SummariesReceived: s.Stack.Summaries, FoldedReceived: s.Stack.Folded}
		got := counts{received[s.Service], e.Exported, e.Handed, s.Written, e.lost(), s.Stack.AsyncDropped, e.Pending, summaries[s.Service], folded[s.Service]}
		if diff := cmp.Diff(want, got); diff != "" || e.Handed == 0 || !s.Accounted {
			t.Errorf("%s: counts (-want +got):\n%s(handed %d, report accounted %v)", s.Service, diff, e.Handed, s.Accounted)
		}
		if folds := s.Stack.Folded > 0 && s.Stack.Summaries > 0; folds != (i == 0) {
			t.Errorf("%s folded %d records into %d summaries: want some in the first service only, which serves the lookups", s.Service, s.Stack.Folded, s.Stack.Summaries)
		}
		reached := 0
		for _, q := range run.requests {
			if i < q.reach(len(run.services)) {
				reached++
			}
		}
		if s.Requests != uint64(reached) {
			t.Errorf("%s answered %d requests, the fleet sent it %d", s.Service, s.Requests, reached)
		}
	}
	if len(run.received) != int(rep.received) || rep.unknownService != 0 {
		t.Errorf("received %d records, %d from unknown services; the report counts %d", len(run.received), rep.unknownService, rep.received)
	}
	if f := rep.failures(); len(f) != 0 || !strings.HasSuffix(out, "\nfleet: ok\n") {
		t.Errorf("verdict: failures %q", f)
	}
	for _, want := range []string{
		fmt.Sprintf("all-or-none across services          %d of %d requests\n", len(run.requests), len(run.requests)),
		"lost between services and Collector  0 (at the exporters: 0 failed, 0 dropped, 0 abandoned; in the stacks' async queues: 0 more, never handed)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report has no line %q", want)
		}
	}
}

// TestCollectorOutage stops the Collector for 2s at the middle of the
// load and starts a new one on the same address, and checks that the
// callers were not slowed (their p99 during the outage within 1.5x of the
// median p99 of the 3 windows of the same length before it, each over the
// requests sent and answered in it, under paced load that does not
// saturate the machine) and that every record a service handed on was received by
// one of the two Collectors or counted lost by its exporter, exactly, and
// the report names the losses.
func TestCollectorOutage(t *testing.T) {
	const outage = 2 * time.Second
	// 200 requests a second: some 400 in each window, a fraction of the
	// machine's capacity; the Collector stops 6.5s into the load, after
	// the 3 windows of the outage's length that its p99 is compared with.
	run, rep, out := runTestFleet(t, testConfig(13*time.Second, outage, 200))
	if run.outage == nil || run.outage.length() <= 0 || run.outage.start.Before(run.stopBegan) || len(run.files) != 2 {
		t.Fatalf("outage %+v (stop began %v), Collector files %q: want one outage after the stop began and two files", run.outage, run.stopBegan, run.files)
	}
	if len(rep.beforeWindows) != baselineWindows || rep.before.n < 300 || rep.during.n < 300 {
		t.Fatalf("%d windows before the outage, %d requests in the baseline one and %d during it: too few to compare", len(rep.beforeWindows), rep.before.n, rep.during.n)
	}
	if rep.slowdown() > maxSlowdown {
		t.Errorf("callers' p99 %v during the outage, %v before: %.2fx, want at most %.1fx", rep.during.p99, rep.before.p99, rep.slowdown(), maxSlowdown)
	}
	afterOutage, err := readReceived(run.files[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(afterOutage) == 0 {
		t.Errorf("the second Collector received nothing")
	}
	received := receivedPerService(run)
	var lost, failed, dropped, abandoned, async uint64
	for _, s := range run.services {
		e := s.Export
		if e.Pending != 0 || s.Written != e.Handed || !s.Accounted || received[s.Service]+e.lost() != e.Handed {
			t.Errorf("%s: received %d + failed %d + dropped %d + abandoned %d != handed %d (written %d, pending %d, report accounted %v)",
				s.Service, received[s.Service], e.Failed, e.Dropped, e.Abandoned, e.Handed, s.Written, e.Pending, s.Accounted)
		}
		lost += e.Handed - received[s.Service]
		failed, dropped, abandoned, async = failed+e.Failed, dropped+e.Dropped, abandoned+e.Abandoned, async+s.Stack.AsyncDropped
	}
	want := fmt.Sprintf("lost between services and Collector  %d (at the exporters: %d failed, %d dropped, %d abandoned; in the stacks' async queues: %d more, never handed)\n",
		lost, failed, dropped, abandoned, async)
	if !strings.Contains(out, want) {
		t.Errorf("the report has no line %q", want)
	}
	if lost == 0 && async == 0 {
		// Nothing lost: every request's records must then be whole.
		checkRequests(t, run)
	}
	if f := rep.failures(); len(f) != 0 {
		t.Errorf("verdict: failures %q", f)
	}
	if want := fmt.Sprintf("Collector outage: down %v into the load for %v (a new one started in %v)\n",
		run.outage.start.Sub(firstSent(run.requests)).Round(time.Millisecond), run.outage.length().Round(time.Millisecond), run.restart.Round(time.Millisecond)); !strings.Contains(out, want) {
		t.Errorf("the report has no line %q", want)
	}
}
