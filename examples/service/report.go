package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// report is the table printed when the service stops.
type report struct {
	load     *loadResult // nil when the service ran without -load
	loadTime time.Duration
	clients  int
	served   uint64 // requests the service's HTTP server answered
	stats    stackStats
	written  uint64       // records that reached the sink: lines of the log output, or records handed to the OTLP pipeline
	export   *exportStats // the OTLP pipeline's counters; nil without -otlp-endpoint
	callers  *histogram
	output   string // the log output and its size, or the OTLP endpoint
	stack    string // the stack's features, in short
	config   string // the effective configuration, whole
}

// expectedWritten is what the stack's counters say reached the sink:
// every record logged, less those sampled out, folded or dropped, plus the
// summaries and drop reports the stack wrote itself, less the records the
// sink is still taking.
func (r report) expectedWritten() int64 {
	s := r.stats
	return int64(s.Logged) - int64(s.SampledOut) - int64(s.Folded) + int64(s.Summaries) - int64(s.AsyncDropped) + int64(s.DropReports) - int64(s.InFlight)
}

// exportAccounted reports whether every record handed to the OTLP pipeline
// was exported or counted as failed, dropped or abandoned (none pending:
// the pipeline has shut down). True without -otlp-endpoint.
func (r report) exportAccounted() bool {
	e := r.export
	return e == nil || (e.Handed == r.written && e.Pending == 0 && e.Handed == e.Exported+e.Failed+e.Dropped+e.Abandoned)
}

// accounted reports whether every record is accounted for: written or
// counted where the stack dropped it and, with -otlp-endpoint, exported or
// counted where the pipeline lost it.
func (r report) accounted() bool {
	return r.expectedWritten() == int64(r.written) && r.exportAccounted()
}

func (r report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if r.load != nil {
		fmt.Fprintf(tw, "slogstack reference service: %s of load from %d clients\n", r.loadTime.Round(time.Millisecond), r.clients)
		n := r.load.Requests.Load()
		fmt.Fprintf(tw, "requests\t%d\t(%.0f/s; 2xx %d, 4xx %d, 5xx %d, transport errors %d)\n", n,
			float64(n)/r.loadTime.Seconds(), r.load.Status2xx.Load(), r.load.Status4xx.Load(), r.load.Status5xx.Load(), r.load.Failures.Load())
	} else {
		fmt.Fprintf(tw, "slogstack reference service: stopped\n")
	}
	fmt.Fprintf(tw, "stack\t%s\n", r.stack)
	fmt.Fprintf(tw, "log output\t%s\n", r.output)
	s := r.stats
	fmt.Fprintf(tw, "records logged\t%d\t(handed to the stack)\n", s.Logged)
	if r.export == nil {
		fmt.Fprintf(tw, "records written\t%d\t(lines of the log output, summaries included)\n", r.written)
	} else {
		fmt.Fprintf(tw, "records written\t%d\t(handed to the OTLP pipeline, summaries included)\n", r.written)
	}
	fmt.Fprintf(tw, "sampled out\t%d\t(records of requests not sampled, dropped)\n", s.SampledOut)
	fmt.Fprintf(tw, "rescued by errors\t%d\t(records of requests not sampled, kept for an error)\n", s.Rescued)
	fmt.Fprintf(tw, "folded by aggregation\t%d\t(into %d summary records)\n", s.Folded, s.Summaries)
	fmt.Fprintf(tw, "dropped by async queue\t%d\t(%d in-band drop reports)\n", s.AsyncDropped, s.DropReports)
	if s.InFlight != 0 {
		fmt.Fprintf(tw, "still being written\t%d\t(in a call into the sink that had not returned)\n", s.InFlight)
	}
	if e := r.export; e != nil {
		r.printExport(tw, e)
	}
	// Every record is accounted for: written, or counted where it went.
	check := "ok"
	if expect := r.expectedWritten(); expect != int64(r.written) {
		check = fmt.Sprintf("MISMATCH: %d expected", expect)
	} else if !r.exportAccounted() {
		check = "MISMATCH: export rows"
	}
	identity := "logged - sampled out - folded + summaries - dropped + reports"
	if s.InFlight != 0 {
		identity += " - still being written"
	}
	identity += " = written"
	if r.export != nil {
		identity += " = exported + export failed + dropped at export + abandoned at shutdown"
	}
	fmt.Fprintf(tw, "accounted for\t%s\t(%s)\n", check, identity)
	fmt.Fprintf(tw, "caller latency per log call\tp50 %s\tp99 %s\n", fmtDur(r.callers.Quantile(0.50)), fmtDur(r.callers.Quantile(0.99)))
	if r.load != nil {
		fmt.Fprintf(tw, "HTTP latency\tp50 %s\tp99 %s\n", fmtDur(r.load.Latency.Quantile(0.50)), fmtDur(r.load.Latency.Quantile(0.99)))
	}
	tw.Flush()
	// The configuration last and on its own line: it is long.
	fmt.Fprintf(w, "config: %s\n", r.config)
}

// printExport prints the OTLP pipeline's rows: where each record written
// to it went.
func (r report) printExport(w io.Writer, e *exportStats) {
	fmt.Fprintf(w, "exported\t%d\t(accepted by the collector, in %d exports)\n", e.Exported, e.Exports)
	lastError := "none"
	if e.LastError != "" {
		lastError = e.LastError
	}
	fmt.Fprintf(w, "export failed\t%d\t(in %d failed exports, after retries; last error: %s)\n", e.Failed, e.FailedExports, lastError)
	fmt.Fprintf(w, "dropped at export\t%d\t(the batch queue was full)\n", e.Dropped)
	fmt.Fprintf(w, "abandoned at shutdown\t%d\t(not exported by the shutdown deadline)\n", e.Abandoned)
	if e.Pending != 0 {
		fmt.Fprintf(w, "still pending\t%d\t(in the pipeline after its shutdown)\n", e.Pending)
	}
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.String()
}
