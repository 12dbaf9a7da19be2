package main

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/sampling"
)

// tick is the time between two requests of a synthetic run: longer than
// any of their latencies, so that each is answered before the next is sent.
const tick = 100 * time.Millisecond

// syntheticRun is a healthy run of two services without processes: the
// requests ids (work unless listed in fails or lookups), each kept as
// sampling.Decide at rate 0.5 says (fails always), in both services, or,
// for a lookup, in the first one only: its "users fetched" record and an
// aggregation summary of 3 pool records; every record handed received.
func syntheticRun(ids, fails, lookups []string) *fleetRun {
	run := &fleetRun{cfg: config{steps: 1}, rate: 0.5}
	failed, lookup := map[string]bool{}, map[string]bool{}
	for _, id := range fails {
		failed[id] = true
	}
	for _, id := range lookups {
		lookup[id] = true
	}
	base := time.Unix(1000, 0)
	for i, id := range ids {
		q := &request{id: id, path: workPath, status: 200, sent: base.Add(time.Duration(i) * tick), latency: time.Duration(i+1) * time.Millisecond}
		switch {
		case failed[id]:
			q.path, q.status = failPath, 500
		case lookup[id]:
			q.path = lookupPath
		}
		run.requests = append(run.requests, q)
	}
	for i, name := range []string{"service-0", "service-1"} {
		var n, requests, folded, summaries uint64
		for _, q := range run.requests {
			if i >= q.reach(2) {
				continue
			}
			requests++
			switch {
			case q.path == lookupPath && sampling.Decide(q.id, run.rate):
				run.received = append(run.received,
					receivedRecord{Service: name, CorrelationID: q.id, Body: "users fetched"},
					receivedRecord{Service: name, CorrelationID: q.id, Body: "Connection pool size", Attrs: map[string]any{"_aggregated": true, "_count": int64(3)}})
				n, folded, summaries = n+2, folded+3, summaries+1
			case q.path == failPath || sampling.Decide(q.id, run.rate):
				run.received = append(run.received, receivedRecord{Service: name, CorrelationID: q.id, Body: "work step"})
				n++
			}
		}
		run.received = append(run.received, receivedRecord{Service: name, Body: "service started"})
		n++
		run.exits = append(run.exits, "0")
		run.services = append(run.services, serviceReport{
			Service: name, Requests: requests, Written: n, Accounted: true,
			Stack:  stackCounters{Logged: n + 10 + folded - summaries, SampledOut: 10, Folded: folded, Summaries: summaries},
			Export: &exportStats{Handed: n, Exported: n, Exports: 1},
		})
	}
	return run
}

// TestAnalyze checks the report's checks on synthetic runs: a healthy run
// is ok, and each kind of fault is named, exactly.
func TestAnalyze(t *testing.T) {
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("req-%02d", i))
	}
	// The last four are lookups: 36 to 38 kept, 39 dropped.
	lookups := ids[36:]
	keptID, droppedID := "", ""
	for _, id := range ids[1:36] {
		if sampling.Decide(id, 0.5) && keptID == "" {
			keptID = id
		}
		if !sampling.Decide(id, 0.5) && droppedID == "" {
			droppedID = id
		}
	}
	removeRecord := func(run *fleetRun, service, id string) {
		for i, r := range run.received {
			if r.Service == service && r.CorrelationID == id {
				run.received = append(run.received[:i], run.received[i+1:]...)
				return
			}
		}
		panic("no record of " + id)
	}
	tests := []struct {
		name  string
		fault func(run *fleetRun)
		want  []string
	}{
		{"healthy", func(*fleetRun) {}, nil},
		{"a record lost on the way", func(run *fleetRun) { removeRecord(run, "service-1", keptID) }, []string{
			"1 requests have records in some services only",
			"1 work requests the sampling decision keeps are not in every service",
			"service-1: records not accounted for: handed 22, received 21, counted lost 0, pending 0, written 22, report accounted true",
			"service-1 lost records with a healthy Collector: 1 at the exporter, 0 in the async queue, 0 still being written at exit",
		}},
		{"a record lost and counted", func(run *fleetRun) {
			removeRecord(run, "service-0", keptID)
			removeRecord(run, "service-1", keptID)
			run.services[0].Export.Failed, run.services[0].Export.Exported = 1, run.services[0].Export.Exported-1
			run.services[1].Export.Abandoned, run.services[1].Export.Exported = 1, run.services[1].Export.Exported-1
		}, []string{
			"service-0 lost records with a healthy Collector: 1 at the exporter, 0 in the async queue, 0 still being written at exit",
			"service-1 lost records with a healthy Collector: 1 at the exporter, 0 in the async queue, 0 still being written at exit",
		}},
		{"a dropped request kept", func(run *fleetRun) {
			for _, s := range []string{"service-0", "service-1"} {
				run.received = append(run.received, receivedRecord{Service: s, CorrelationID: droppedID})
			}
			for i := range run.services {
				run.services[i].Written++
				run.services[i].Export.Handed++
				run.services[i].Export.Exported++
			}
		}, []string{"1 work requests have records though the sampling decision drops them"}},
		{"a failed request not kept", func(run *fleetRun) {
			removeRecord(run, "service-0", ids[0])
			removeRecord(run, "service-1", ids[0])
			for i := range run.services {
				run.services[i].Written--
				run.services[i].Export.Handed--
				run.services[i].Export.Exported--
			}
		}, []string{"1 of 1 failed requests not kept in every service"}},
		{"requests unanswered or answered wrong", func(run *fleetRun) {
			run.requests[1].status, run.requests[1].err = 0, errors.New("refused")
			run.requests[2].status = 502
		}, []string{
			"1 requests got no answer",
			"1 requests answered another status than their path's",
			"service-0 answered 40 requests, the fleet's callers 39",
			"service-1 answered 36 requests, the fleet's callers 35",
		}},
		{"pending at the end", func(run *fleetRun) {
			run.services[0].Export.Pending = 1
			run.services[0].Accounted = false
		}, []string{"service-0: records not accounted for: handed 28, received 28, counted lost 0, pending 1, written 28, report accounted false"}},
		{"async drops", func(run *fleetRun) { run.services[1].Stack.AsyncDropped = 3 }, []string{
			"service-1 lost records with a healthy Collector: 0 at the exporter, 3 in the async queue, 0 still being written at exit",
		}},
		{"records still being written at exit", func(run *fleetRun) { run.services[1].Stack.InFlight = 2 }, []string{
			"service-1 lost records with a healthy Collector: 0 at the exporter, 0 in the async queue, 2 still being written at exit",
		}},
		{"an exit status 1 without a counted loss", func(run *fleetRun) {
			run.exits[1] = "exit status 1: service: close database: disk full"
		}, []string{"service-1 exited with exit status 1: service: close database: disk full"}},
		{"an exit status 1 for a counted loss, with an outage", func(run *fleetRun) {
			removeRecord(run, "service-0", "")
			run.services[0].Export.Failed, run.services[0].Export.Exported = 1, run.services[0].Export.Exported-1
			run.exits[0] = "exit status 1: otlpsink: 1 of 25 records not exported"
			run.outage, run.stopBegan = &window{start: run.requests[0].sent.Add(20 * tick), end: run.requests[0].sent.Add(30 * tick)}, run.requests[0].sent.Add(20*tick)
		}, nil},
		{"a service that died before the shutdown", func(run *fleetRun) {
			run.services[1] = serviceReport{Service: "service-1", Export: &exportStats{}}
			run.exits[1] = "signal: killed: "
			run.noReports = []string{"", "wrote no report"}
		}, []string{"service-1: wrote no report (exit: signal: killed: ): its records cannot be accounted for"}},
		{"a lookup's records beyond the first service", func(run *fleetRun) {
			run.received = append(run.received, receivedRecord{Service: "service-1", CorrelationID: lookups[0], Body: "users fetched"})
			run.services[1].Written++
			run.services[1].Export.Handed++
			run.services[1].Export.Exported++
		}, []string{
			"1 requests have records in some services only",
			"1 lookups the sampling decision keeps are not in the first service alone",
		}},
		{"a dropped lookup kept", func(run *fleetRun) {
			run.received = append(run.received, receivedRecord{Service: "service-0", CorrelationID: lookups[3], Body: "users fetched"})
			run.services[0].Written++
			run.services[0].Export.Handed++
			run.services[0].Export.Exported++
		}, []string{"1 lookups have records though the sampling decision drops them"}},
		{"an aggregation summary lost on the way", func(run *fleetRun) {
			i := slices.IndexFunc(run.received, func(r receivedRecord) bool { return r.Attrs["_aggregated"] == true })
			run.received = slices.Delete(run.received, i, i+1)
		}, []string{
			"the Collector received 2 aggregation summaries of 6 records, the services wrote 3 of 9",
			"service-0: records not accounted for: handed 28, received 27, counted lost 0, pending 0, written 28, report accounted true",
			"service-0 lost records with a healthy Collector: 1 at the exporter, 0 in the async queue, 0 still being written at exit",
		}},
		{"requests not sent", func(run *fleetRun) { run.unsent = 3 }, []string{"3 requests not sent: every client was waiting for an answer at the load's end"}},
		{"interrupted", func(run *fleetRun) { run.interrupted = true }, []string{"interrupted before the end of the load"}},
		{"an unknown service", func(run *fleetRun) {
			run.received = append(run.received, receivedRecord{Service: "stranger"})
		}, []string{"1 records from services the fleet did not start"}},
		{"an outage with losses counted, p99 at 1.5x", func(run *fleetRun) {
			removeRecord(run, "service-0", keptID)
			removeRecord(run, "service-1", keptID)
			for i := range run.services {
				run.services[i].Export.Failed, run.services[i].Export.Exported = 1, run.services[i].Export.Exported-1
			}
			// Before: requests 10-19 (11 to 20ms); during: 20-29 (21 to 30ms).
			base := run.requests[0].sent
			run.outage, run.stopBegan = &window{start: base.Add(20 * tick), end: base.Add(30 * tick)}, base.Add(20*tick)
		}, nil},
		{"an outage that slows the callers", func(run *fleetRun) {
			for _, q := range run.requests[20:30] {
				q.latency *= 2
			}
			base := run.requests[0].sent
			run.outage, run.stopBegan = &window{start: base.Add(20 * tick), end: base.Add(30 * tick)}, base.Add(20*tick)
		}, []string{"callers slowed by the outage: p99 60ms during it, 20ms before (3.00x, at most 1.5x)"}},
		{"an outage against the median of 3 windows before it", func(run *fleetRun) {
			// During: requests 30-39 (31 to 40ms). Before, the latest window
			// first: 20-29 calm (5ms), 10-19 and 0-9 at 30ms: the median p99
			// is 30ms (1.33x), not the calm window's 5ms (8x).
			for i, q := range run.requests[:30] {
				q.latency = 30 * time.Millisecond
				if i >= 20 {
					q.latency = 5 * time.Millisecond
				}
			}
			base := run.requests[0].sent
			run.outage, run.stopBegan = &window{start: base.Add(30 * tick), end: base.Add(40 * tick)}, base.Add(30*tick)
		}, nil},
		{"an outage: a request answered after the window ended does not count", func(run *fleetRun) {
			// Request 29, the last one sent during the outage, is answered
			// after the restart began: the Collector's start in this
			// process, not the services, made it slow.
			run.requests[29].latency = 150 * time.Millisecond
			base := run.requests[0].sent
			run.outage, run.stopBegan = &window{start: base.Add(20 * tick), end: base.Add(30 * tick)}, base.Add(20*tick)
		}, nil},
		{"an outage without requests before it", func(run *fleetRun) {
			base := run.requests[0].sent
			run.outage, run.stopBegan = &window{start: base.Add(100 * tick), end: base.Add(110 * tick)}, base.Add(100*tick)
		}, []string{"no requests before or during the outage to compare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := syntheticRun(ids, ids[:1], lookups)
			tt.fault(run)
			rep := analyze(run)
			got := rep.failures()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
}
