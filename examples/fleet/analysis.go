package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/slogstack/slogstack/sampling"
)

// maxSlowdown is how much slower the callers' p99 may be during the
// Collector's outage than before it.
const maxSlowdown = 1.5

// serviceResult is one service's counters and what the Collector received
// from it.
type serviceResult struct {
	serviceReport
	exit     string // its exit status: "0", or the error and its last words
	noReport string // why it has no report (it died, or was killed at the shutdown); "": its counters are its report's
	received uint64 // records the Collector received with its service.name
}

// lostAtExporter is what the service handed to its exporter and the
// Collector did not receive: handed - received (negative: the Collector
// received more, duplicates).
func (s serviceResult) lostAtExporter() int64 {
	return int64(s.Export.Handed) - int64(s.received)
}

// accountedExactly reports whether every record the service handed to
// its exporter was received by the Collector or counted lost by the
// exporter (failed, dropped or abandoned), with nothing pending, and the
// service's own report accounted for every record.
func (s serviceResult) accountedExactly() bool {
	e := s.Export
	return s.Accounted && e.Pending == 0 && s.Written == e.Handed && s.lostAtExporter() == int64(e.lost())
}

// roundLatency rounds d for the report.
func roundLatency(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// latencies are the callers' latency percentiles over a set of requests.
type latencies struct {
	n        int
	p50, p99 time.Duration
}

// percentiles returns the latencies of the requests that got an answer.
func percentiles(reqs []*request) latencies {
	var ds []time.Duration
	for _, r := range reqs {
		if r.err == nil {
			ds = append(ds, r.latency)
		}
	}
	if len(ds) == 0 {
		return latencies{}
	}
	slices.Sort(ds)
	// The nearest rank: the smallest latency that q of the requests do not exceed.
	at := func(q float64) time.Duration { return ds[max(0, int(math.Ceil(q*float64(len(ds))))-1)] }
	return latencies{n: len(ds), p50: at(0.50), p99: at(0.99)}
}

// fleetReport is the analysis of a run.
type fleetReport struct {
	run      *fleetRun
	services []serviceResult

	requests, answered, unexpected int            // sent; answered; answered with a status other than the path's
	statuses                       map[string]int // answers by status class ("2xx", …), "error" for none
	logged, written, received      uint64         // records the services logged, handed to their exporters, the Collector received
	unknownService                 uint64         // records received from a service the fleet did not start
	sampledOut, folded, summaries  uint64
	summariesReceived              uint64 // aggregation summaries the Collector received
	foldedReceived                 uint64 // the records they say were folded: the sum of their _count

	allOrNone, partial int      // requests whose records are in every service they reach or in none; the others
	partialIDs         []string // the first few partial ones
	keptWork, wantWork int      // work requests kept; those sampling.Decide keeps
	keptAgainst        int      // work requests with records though Decide drops them
	missingWork        int      // work requests Decide keeps without records in every service
	failsKept, fails   int      // fail requests kept in every service; fail requests
	keptLookups        int      // lookups kept (in the first service only)
	wantLookups        int      // those sampling.Decide keeps
	lookupsAgainst     int      // lookups with records though Decide drops them
	missingLookups     int      // lookups Decide keeps without records in the first service alone

	overall          latencies
	before, during   latencies   // with an outage: the baseline window before it (see checkLatency), and during it
	beforeWindows    []latencies // the windows of the outage's length before it, the latest first
	servedMismatches []string    // services whose request count is not the fleet's
}

// analyze checks what the Collector received against the requests and
// the services' counters.
func analyze(run *fleetRun) *fleetReport {
	r := &fleetReport{run: run, statuses: map[string]int{}}
	index := map[string]int{}
	for i, s := range run.services {
		index[s.Service] = i
		res := serviceResult{serviceReport: s, exit: run.exits[i]}
		if i < len(run.noReports) {
			res.noReport = run.noReports[i]
		}
		r.services = append(r.services, res)
	}
	// byID[id][i]: records of request id the Collector received from service i.
	byID := map[string][]int{}
	for _, rec := range run.received {
		i, ok := index[rec.Service]
		if !ok {
			r.unknownService++
			continue
		}
		r.services[i].received++
		r.received++
		if folded, ok := summaryCount(rec); ok {
			r.summariesReceived++
			r.foldedReceived += folded
		}
		if rec.CorrelationID == "" {
			continue
		}
		counts := byID[rec.CorrelationID]
		if counts == nil {
			counts = make([]int, len(run.services))
			byID[rec.CorrelationID] = counts
		}
		counts[i]++
	}
	for _, s := range r.services {
		r.logged += s.Stack.Logged
		r.written += s.Written
		r.sampledOut += s.Stack.SampledOut
		r.folded += s.Stack.Folded
		r.summaries += s.Stack.Summaries
	}
	r.checkRequests(byID)
	r.checkLatency()
	return r
}

// checkRequests counts the requests' outcomes, and checks each one's
// records across the services and its sampling decision.
func (r *fleetReport) checkRequests(byID map[string][]int) {
	run := r.run
	r.requests = len(run.requests)
	for _, q := range run.requests {
		if q.err != nil {
			r.statuses["error"]++
		} else {
			r.answered++
			r.statuses[fmt.Sprintf("%dxx", q.status/100)]++
			if q.status != q.wantStatus() {
				r.unexpected++
			}
		}
		// in counts the services the request reaches that have its
		// records, beyond those it does not reach that have some.
		reach := q.reach(len(run.services))
		in, beyond := 0, 0
		for i, n := range byID[q.id] {
			switch {
			case n > 0 && i < reach:
				in++
			case n > 0:
				beyond++
			}
		}
		kept := in == reach && beyond == 0
		if (in == 0 && beyond == 0) || kept {
			r.allOrNone++
		} else {
			r.partial++
			if len(r.partialIDs) < 5 {
				r.partialIDs = append(r.partialIDs, fmt.Sprintf("%s %v", q.id, byID[q.id]))
			}
		}
		switch q.path {
		case failPath:
			r.fails++
			if kept {
				r.failsKept++
			}
		case workPath:
			want := sampling.Decide(q.id, run.rate)
			if want {
				r.wantWork++
			}
			if kept {
				r.keptWork++
			}
			if !want && in > 0 {
				r.keptAgainst++
			}
			if want && !kept {
				r.missingWork++
			}
		case lookupPath:
			want := sampling.Decide(q.id, run.rate)
			if want {
				r.wantLookups++
			}
			if kept {
				r.keptLookups++
			}
			if !want && in+beyond > 0 {
				r.lookupsAgainst++
			}
			if want && !kept {
				r.missingLookups++
			}
		}
	}
	r.checkServed()
}

// checkServed checks that each service answered the requests of the
// fleet's callers that reach it.
func (r *fleetReport) checkServed() {
	for i, s := range r.services {
		answered := 0
		for _, q := range r.run.requests {
			if q.err == nil && i < q.reach(len(r.services)) {
				answered++
			}
		}
		if s.noReport == "" && s.Requests != uint64(answered) {
			r.servedMismatches = append(r.servedMismatches, fmt.Sprintf("%s answered %d requests, the fleet's callers %d", s.Service, s.Requests, answered))
		}
	}
}

// summaryCount reports whether rec is an aggregation summary, and how
// many records it says were folded into it (its _count).
func summaryCount(rec receivedRecord) (uint64, bool) {
	if rec.Attrs["_aggregated"] != true {
		return 0, false
	}
	switch n := rec.Attrs["_count"].(type) {
	case int64:
		return uint64(max(n, 0)), true
	case float64:
		return uint64(max(n, 0)), true
	}
	return 0, true
}

// baselineWindows is how many windows of the outage's length before it
// the callers' p99 during the outage is compared with, when that many fit
// in the load before the Collector's stop (else the one just before it).
const baselineWindows = 3

// checkLatency measures the callers' latencies: overall and, with an
// outage, during it and before it, over the requests sent and answered in
// each window. Before it is the window of the same
// length just before the Collector's stop began or, when the load before
// the stop holds baselineWindows such windows, the one of them whose p99
// is the median: one 2-second window's p99 is the few slowest requests in
// it, and a burst of the machine's other work in the one window before the
// outage would otherwise decide the comparison, either way.
func (r *fleetReport) checkLatency() {
	r.overall = percentiles(r.run.requests)
	o := r.run.outage
	if o == nil {
		return
	}
	first := firstSent(r.run.requests)
	k := 1
	if !r.run.stopBegan.Add(-baselineWindows * o.length()).Before(first) {
		k = baselineWindows
	}
	windows := make([]window, k)
	reqs := make([][]*request, k)
	for j := range windows {
		end := r.run.stopBegan.Add(-time.Duration(j) * o.length())
		windows[j] = window{start: end.Add(-o.length()), end: end}
	}
	// A request counts in a window when it was sent and answered in it:
	// one still in flight when the Collector's stop or restart began
	// would measure this process's work on the Collector (it runs here),
	// which is not the services' cost to their callers.
	within := func(w window, q *request) bool { return w.contains(q.sent) && w.contains(q.sent.Add(q.latency)) }
	var d []*request
	for _, q := range r.run.requests {
		if within(*o, q) {
			d = append(d, q)
		}
		for j, w := range windows {
			if within(w, q) {
				reqs[j] = append(reqs[j], q)
			}
		}
	}
	r.beforeWindows = nil
	for _, b := range reqs {
		r.beforeWindows = append(r.beforeWindows, percentiles(b))
	}
	sorted := slices.SortedFunc(slices.Values(r.beforeWindows), func(a, b latencies) int { return cmp.Compare(a.p99, b.p99) })
	r.before, r.during = sorted[(k-1)/2], percentiles(d)
}

// slowdown is the callers' p99 during the outage over before it.
func (r *fleetReport) slowdown() float64 {
	if r.before.p99 <= 0 {
		return 0
	}
	return float64(r.during.p99) / float64(r.before.p99)
}

// failures lists what the run got wrong; none is the verdict "ok".
func (r *fleetReport) failures() []string {
	var f []string
	add := func(format string, args ...any) { f = append(f, fmt.Sprintf(format, args...)) }
	if r.run.interrupted {
		add("interrupted before the end of the load")
	}
	if r.requests == 0 {
		add("no request was sent")
	}
	if n := r.run.unsent; n > 0 {
		add("%d requests not sent: every client was waiting for an answer at the load's end", n)
	}
	if n := r.statuses["error"]; n > 0 {
		add("%d requests got no answer", n)
	}
	if r.unexpected > 0 {
		add("%d requests answered another status than their path's", r.unexpected)
	}
	if r.keptAgainst > 0 {
		add("%d work requests have records though the sampling decision drops them", r.keptAgainst)
	}
	if r.lookupsAgainst > 0 {
		add("%d lookups have records though the sampling decision drops them", r.lookupsAgainst)
	}
	// Records counted lost are missing from their requests: incomplete
	// requests are then reported, not a fault of the sampling.
	if r.countedLost() == 0 {
		if r.partial > 0 {
			add("%d requests have records in some services only", r.partial)
		}
		if r.missingWork > 0 {
			add("%d work requests the sampling decision keeps are not in every service", r.missingWork)
		}
		if r.failsKept != r.fails {
			add("%d of %d failed requests not kept in every service", r.fails-r.failsKept, r.fails)
		}
		if r.missingLookups > 0 {
			add("%d lookups the sampling decision keeps are not in the first service alone", r.missingLookups)
		}
		if r.summariesReceived != r.summaries || r.foldedReceived != r.folded {
			add("the Collector received %d aggregation summaries of %d records, the services wrote %d of %d", r.summariesReceived, r.foldedReceived, r.summaries, r.folded)
		}
	}
	f = append(f, r.servedMismatches...)
	if r.unknownService > 0 {
		add("%d records from services the fleet did not start", r.unknownService)
	}
	for _, s := range r.services {
		if s.noReport != "" {
			// Its counters died with it: nothing of it can be checked.
			add("%s: %s (exit: %s): its records cannot be accounted for", s.Service, s.noReport, s.exit)
			continue
		}
		if !s.accountedExactly() {
			add("%s: records not accounted for: handed %d, received %d, counted lost %d, pending %d, written %d, report accounted %v",
				s.Service, s.Export.Handed, s.received, s.Export.lost(), s.Export.Pending, s.Written, s.Accounted)
		}
		if s.exit != "0" && s.Export.lost() == 0 {
			// A service exits 1 when its exporter could not send records;
			// that loss is counted and checked above, any other is a fault.
			add("%s exited with %s", s.Service, s.exit)
		}
		if r.run.outage == nil && (s.lostAtExporter() != 0 || s.Stack.AsyncDropped != 0 || s.Stack.InFlight != 0) {
			add("%s lost records with a healthy Collector: %d at the exporter, %d in the async queue, %d still being written at exit", s.Service, s.lostAtExporter(), s.Stack.AsyncDropped, s.Stack.InFlight)
		}
	}
	if r.run.outage != nil {
		if r.before.n == 0 || r.during.n == 0 {
			add("no requests before or during the outage to compare")
		} else if r.slowdown() > maxSlowdown {
			add("callers slowed by the outage: p99 %v during it, %v before (%.2fx, at most %.1fx)", roundLatency(r.during.p99), roundLatency(r.before.p99), r.slowdown(), maxSlowdown)
		}
	}
	return f
}

// countedLost is the records the services counted lost: by their
// exporters (failed, dropped, abandoned), their async queues, and the
// records still being written when they exited.
func (r *fleetReport) countedLost() uint64 {
	var n uint64
	for _, s := range r.reported() {
		n += s.Export.lost() + s.Stack.AsyncDropped + s.Stack.InFlight
	}
	return n
}

// reported is the services that wrote a report: those whose counters are
// known.
func (r *fleetReport) reported() []serviceResult {
	var rs []serviceResult
	for _, s := range r.services {
		if s.noReport == "" {
			rs = append(rs, s)
		}
	}
	return rs
}

// ok is the verdict.
func (r *fleetReport) ok() bool { return len(r.failures()) == 0 }
