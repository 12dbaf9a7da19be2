package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// print writes the report: the services' counters, the fleet's totals and
// checks, the callers' latencies, and the verdict last.
func (r *fleetReport) print(w io.Writer) {
	run := r.run
	fmt.Fprintf(w, "fleet: %d services, %v of load at %g requests/s (%d clients), sampling rate %g\n",
		len(r.services), run.loadDuration.Round(time.Millisecond), run.cfg.rate, run.cfg.clients, run.rate)
	if o := run.outage; o != nil {
		fmt.Fprintf(w, "Collector outage: down %v into the load for %v (a new one started in %v)\n",
			o.start.Sub(firstSent(run.requests)).Round(time.Millisecond), o.length().Round(time.Millisecond), run.restart.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	r.printServices(w)
	fmt.Fprintln(w)
	r.printFleet(w)
	fmt.Fprintln(w)
	if f := r.failures(); len(f) > 0 {
		fmt.Fprintf(w, "fleet: FAILED: %s\n", strings.Join(f, "; "))
	} else if lost := r.countedLost(); lost > 0 {
		fmt.Fprintf(w, "fleet: ok: %d records lost during the Collector outage, every one counted by its service\n", lost)
	} else {
		fmt.Fprintln(w, "fleet: ok")
	}
}

// firstSent is when the first request was sent.
func firstSent(reqs []*request) time.Time {
	for _, q := range reqs {
		if !q.sent.IsZero() {
			return q.sent
		}
	}
	return time.Time{}
}

// printServices writes one column per service: its stack's counters, its
// exporter's and what the Collector received from it.
func (r *fleetReport) printServices(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, v func(s serviceResult) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, s := range r.services {
			fmt.Fprintf(tw, "%s\t", v(s))
		}
		fmt.Fprintln(tw)
	}
	// A counter of a service that wrote no report is unknown: "-".
	known := func(f func(s serviceResult) string) func(serviceResult) string {
		return func(s serviceResult) string {
			if s.noReport != "" {
				return "-"
			}
			return f(s)
		}
	}
	num := func(f func(s serviceResult) uint64) func(serviceResult) string {
		return known(func(s serviceResult) string { return fmt.Sprint(f(s)) })
	}
	row("", func(s serviceResult) string { return s.Service })
	row("requests answered", num(func(s serviceResult) uint64 { return s.Requests }))
	row("records logged", num(func(s serviceResult) uint64 { return s.Stack.Logged }))
	row("sampled out", num(func(s serviceResult) uint64 { return s.Stack.SampledOut }))
	row("rescued by an error", num(func(s serviceResult) uint64 { return s.Stack.Rescued }))
	row("folded by aggregation", num(func(s serviceResult) uint64 { return s.Stack.Folded }))
	row("aggregation summaries", num(func(s serviceResult) uint64 { return s.Stack.Summaries }))
	row("async queue drops", num(func(s serviceResult) uint64 { return s.Stack.AsyncDropped }))
	row("handed to the exporter", num(func(s serviceResult) uint64 { return s.Export.Handed }))
	row("exported", num(func(s serviceResult) uint64 { return s.Export.Exported }))
	row("export failed", num(func(s serviceResult) uint64 { return s.Export.Failed }))
	row("dropped (batch queue full)", num(func(s serviceResult) uint64 { return s.Export.Dropped }))
	row("abandoned at shutdown", num(func(s serviceResult) uint64 { return s.Export.Abandoned }))
	row("exports (failed)", known(func(s serviceResult) string {
		return fmt.Sprintf("%d (%d)", s.Export.Exports, s.Export.FailedExports)
	}))
	row("received by the Collector", func(s serviceResult) string { return fmt.Sprint(s.received) })
	row("lost on the way", known(func(s serviceResult) string { return fmt.Sprint(s.lostAtExporter()) }))
	row("accounted for", func(s serviceResult) string {
		if s.noReport == "" && s.accountedExactly() {
			return "ok"
		}
		return "NO"
	})
	row("exit status", func(s serviceResult) string { return strings.SplitN(s.exit, ":", 2)[0] })
	tw.Flush()
	for _, s := range r.services {
		if s.Export.LastError != "" {
			fmt.Fprintf(w, "%s: last export error: %s\n", s.Service, s.Export.LastError)
		}
		if s.exit != "0" {
			fmt.Fprintf(w, "%s: %s\n", s.Service, s.exit)
		}
		if s.noReport != "" {
			fmt.Fprintf(w, "%s: %s\n", s.Service, s.noReport)
		}
	}
}

// printFleet writes the fleet's totals and checks.
func (r *fleetReport) printFleet(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{name}, args...)...)
	}
	row("requests", "%d (%s)", r.requests, r.statusSummary())
	if r.run.unsent > 0 {
		row("  not sent", "%d (every client was waiting for an answer at the load's end)", r.run.unsent)
	}
	row("records logged", "%d", r.logged)
	row("records handed to exporters", "%d", r.written)
	row("records received by the Collector", "%d", r.received)
	row("all-or-none across services", "%d of %d requests%s", r.allOrNone, r.requests, r.partialExamples())
	row("work requests kept", "%d (sampling.Decide keeps %d; %d kept against it, %d missing)", r.keptWork, r.wantWork, r.keptAgainst, r.missingWork)
	row("failed requests kept everywhere", "%d of %d", r.failsKept, r.fails)
	row("lookups kept (first service only)", "%d (sampling.Decide keeps %d; %d kept against it, %d missing)", r.keptLookups, r.wantLookups, r.lookupsAgainst, r.missingLookups)
	row("lost between services and Collector", "%s", r.lossSummary())
	if lost := r.countedLost(); lost > 0 && (r.partial > 0 || r.missingWork > 0 || r.failsKept != r.fails || r.missingLookups > 0) {
		row("  requests short of records", "%d partial, %d kept work, %d failed and %d kept lookups missing: their records are among the %d counted lost",
			r.partial, r.missingWork, r.fails-r.failsKept, r.missingLookups, lost)
	}
	row("saved by sampling", "%d records (%s of those logged)", r.sampledOut, percent(r.sampledOut, r.logged))
	saved := int64(r.folded) - int64(r.summaries)
	row("saved by aggregation", "%d records (%d folded into %d summaries; %s of those logged)", saved, r.folded, r.summaries, percent(uint64(max(saved, 0)), r.logged))
	row("  summaries received", "%d, of %d folded records", r.summariesReceived, r.foldedReceived)
	row("callers' latency", "p50 %v, p99 %v (%d requests)", roundLatency(r.overall.p50), roundLatency(r.overall.p99), r.overall.n)
	if r.run.outage != nil {
		row("  before the outage", "p50 %v, p99 %v (%d requests)%s", roundLatency(r.before.p50), roundLatency(r.before.p99), r.before.n, r.baselineNote())
		row("  during the outage", "p50 %v, p99 %v (%d requests): p99 %.2fx before (at most %.1fx)", roundLatency(r.during.p50), roundLatency(r.during.p99), r.during.n, r.slowdown(), maxSlowdown)
	}
	if r.run.outDir != "" {
		row("files", "%s", r.run.outDir)
	}
	tw.Flush()
}

// baselineNote says, when the baseline before the outage is the median
// of several windows, each one's p99.
func (r *fleetReport) baselineNote() string {
	if len(r.beforeWindows) < 2 {
		return ""
	}
	var p99s []string
	for _, w := range r.beforeWindows {
		p99s = append(p99s, roundLatency(w.p99).String())
	}
	return fmt.Sprintf(": the median p99 of the %d windows of the outage's length before it (%s, the latest first)", len(p99s), strings.Join(p99s, ", "))
}

// statusSummary is the answers by status class.
func (r *fleetReport) statusSummary() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.statuses)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.statuses[k]))
	}
	return strings.Join(parts, ", ")
}

// partialExamples names the first requests that are not all-or-none.
func (r *fleetReport) partialExamples() string {
	if r.partial == 0 {
		return ""
	}
	return fmt.Sprintf("; %d partial, records per service: %s", r.partial, strings.Join(r.partialIDs, ", "))
}

// lossSummary says how many records were lost and where.
func (r *fleetReport) lossSummary() string {
	var lost int64
	var failed, dropped, abandoned, async uint64
	for _, s := range r.reported() {
		lost += s.lostAtExporter()
		failed += s.Export.Failed
		dropped += s.Export.Dropped
		abandoned += s.Export.Abandoned
		async += s.Stack.AsyncDropped
	}
	return fmt.Sprintf("%d (at the exporters: %d failed, %d dropped, %d abandoned; in the stacks' async queues: %d more, never handed)",
		lost, failed, dropped, abandoned, async)
}

// percent is n/of as a percentage.
func percent(n, of uint64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}
