package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// report is everything one run of the command measured.
type report struct {
	config
	fast, stalled               []result
	reference                   result
	sustained                   []result
	healthyDiscard, healthyFile []result
}

// The performance targets that this command checks.
const (
	maxStallRatio     = 1.5
	minSustainedRatio = 0.8
	latencyColumns    = "| target | p50 | p99 | p99.9 | max | calls ≥1ms | callers done | Close returned | sink writes | written | dropped | lost | other lines |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
	throughputColumns = "| target | written/s | × reference | written | dropped | lost | Close returned | within target |\n|---|--:|--:|--:|--:|--:|--:|---|\n"
	healthyColumns    = "| target | sink | callers done | Close returned | written | dropped | lost | drops/record | no drops |\n|---|---|--:|--:|--:|--:|--:|--:|---|\n"
)

// write prints the report as Markdown.
func (r *report) write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Command, in benchmarks/: `go run ./cmd/stall -producers %d -records %d -stall %s -stall-after %d -repeat %d`\n\n",
		r.producers, r.records, r.stall, r.stallAfter, r.repeat)

	fmt.Fprintf(&b, "### Caller latency, fast sink (%d producers, %d records)\n\n", r.producers, r.records)
	b.WriteString(latencyColumns)
	for _, res := range r.fast {
		latencyRow(&b, res)
	}
	fmt.Fprintf(&b, "\n### Caller latency, sink stalled once for %s after %d records\n\n", r.stall, r.stallAfter)
	b.WriteString(latencyColumns)
	for _, res := range r.stalled {
		latencyRow(&b, res)
	}

	fmt.Fprintf(&b, "\n### Stalled / fast caller p99 (target ≤ %.1f)\n\n", maxStallRatio)
	b.WriteString("A setup that blocks its callers for the whole stall does so in only a few calls, which p99 does not see: " +
		"the max columns show them.\n\n")
	b.WriteString("| target | fast p99 | stalled p99 | ratio | within target | fast max | stalled max |\n|---|--:|--:|--:|---|--:|--:|\n")
	for i, f := range r.fast {
		s := r.stalled[i]
		ratio := float64(s.lat.p99) / float64(max(f.lat.p99, 1))
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f | %s | %s | %s |\n", f.target, dur(f.lat.p99), dur(s.lat.p99), ratio,
			yes(ratio <= maxStallRatio), dur(f.lat.max), dur(s.lat.max))
	}

	fmt.Fprintf(&b, "\n### Sustained rate, one producer, %d records to a real file (target ≥ %.1f× the reference)\n\n"+
		"Each setup's median run of %d interleaved rounds.\n\n", r.records, minSustainedRatio, r.repeat)
	fmt.Fprintf(&b, "Reference: %s writing synchronously to io.Discard, %.0f records/s. "+
		"A setup meets the target when it writes at least that share of the reference's rate and drops nothing; "+
		"written/s counts only the records that reached the file, from the first call until Close returned.\n\n",
		r.reference.target, r.reference.perSecond())
	b.WriteString(throughputColumns)
	for _, res := range r.sustained {
		ratio := res.perSecond() / max(r.reference.perSecond(), 1)
		fmt.Fprintf(&b, "| %s | %.0f | %.2f | %d | %d | %d | %s | %s |\n", res.target, res.perSecond(), ratio,
			res.written, res.dropped, res.lost(), dur(res.drained), yes(ratio >= minSustainedRatio && res.dropped == 0 && res.lost() == 0))
	}

	fmt.Fprintf(&b, "\n### Healthy sink, %d producers at full speed, %d records (target: no drops)\n\n", r.producers, r.records)
	b.WriteString(healthyColumns)
	for i := range r.healthyDiscard {
		healthyRow(&b, r.healthyDiscard[i], "io.Discard")
		healthyRow(&b, r.healthyFile[i], "file")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func latencyRow(b *strings.Builder, r result) {
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %d | %s | %s | %d | %d | %d | %d | %d |\n",
		r.target, dur(r.lat.p50), dur(r.lat.p99), dur(r.lat.p999), dur(r.lat.max), r.lat.slow,
		dur(r.callers), dur(r.drained), r.sinkWrites, r.written, r.dropped, r.lost(), r.reports)
}

func healthyRow(b *strings.Builder, r result, sinkName string) {
	fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %d | %d | %.3f | %s |\n",
		r.target, sinkName, dur(r.callers), dur(r.drained), r.written, r.dropped, r.lost(),
		float64(r.dropped)/float64(max(r.logged, 1)), yes(r.dropped == 0 && r.lost() == 0))
}

// dur formats d with three significant digits in a unit that suits it.
func dur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
