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
	stats    stackStats
	written  uint64 // lines in the log output
	callers  *histogram
	output   string // the log output and its size
	stack    string // the stack's features, in short
	config   string // the effective configuration, whole
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
	fmt.Fprintf(tw, "records written\t%d\t(lines of the log output, summaries included)\n", r.written)
	fmt.Fprintf(tw, "sampled out\t%d\t(records of requests not sampled, dropped)\n", s.SampledOut)
	fmt.Fprintf(tw, "rescued by errors\t%d\t(records of requests not sampled, kept for an error)\n", s.Rescued)
	fmt.Fprintf(tw, "folded by aggregation\t%d\t(into %d summary records)\n", s.Folded, s.Summaries)
	fmt.Fprintf(tw, "dropped by async queue\t%d\t(%d in-band drop reports)\n", s.AsyncDropped, s.DropReports)
	// Every record is accounted for: written, or counted where it went.
	expect := int64(s.Logged) - int64(s.SampledOut) - int64(s.Folded) + int64(s.Summaries) - int64(s.AsyncDropped) + int64(s.DropReports)
	check := "ok"
	if expect != int64(r.written) {
		check = fmt.Sprintf("MISMATCH: %d expected", expect)
	}
	fmt.Fprintf(tw, "accounted for\t%s\t(logged - sampled out - folded + summaries - dropped + reports = written)\n", check)
	fmt.Fprintf(tw, "caller latency per log call\tp50 %s\tp99 %s\n", fmtDur(r.callers.Quantile(0.50)), fmtDur(r.callers.Quantile(0.99)))
	if r.load != nil {
		fmt.Fprintf(tw, "HTTP latency\tp50 %s\tp99 %s\n", fmtDur(r.load.Latency.Quantile(0.50)), fmtDur(r.load.Latency.Quantile(0.99)))
	}
	tw.Flush()
	// The configuration last and on its own line: it is long.
	fmt.Fprintf(w, "config: %s\n", r.config)
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
