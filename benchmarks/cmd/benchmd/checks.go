package main

import (
	"fmt"
	"strings"
)

// check is one performance target that the benchmark medians can decide.
type check struct {
	what   string
	target string
	// eval returns the measured value, as text, and whether the target is
	// met; ok is false when a row it needs is missing from the run.
	eval func(s *samples) (measured string, met, ok bool)
}

// ratio returns median(a)/median(b) in ns/op.
func ratio(s *samples, a, b key) (float64, bool) {
	x, ok1 := s.median(a, "ns/op")
	y, ok2 := s.median(b, "ns/op")
	if !ok1 || !ok2 || y == 0 {
		return 0, false
	}
	return x / y, true
}

// ratioCheck is a check that median(a)/median(b) is at most limit.
func ratioCheck(what, target string, a, b key, limit float64) check {
	return check{what: what, target: target, eval: func(s *samples) (string, bool, bool) {
		r, ok := ratio(s, a, b)
		if !ok {
			return "", false, false
		}
		return fmt.Sprintf("%.2f×", r), r <= limit, true
	}}
}

// fasterCheck is a check that a is faster than every one of others.
func fasterCheck(what, target string, a key, others ...key) check {
	return check{what: what, target: target, eval: func(s *samples) (string, bool, bool) {
		var parts []string
		met := true
		for _, o := range others {
			r, ok := ratio(s, a, o)
			if !ok {
				return "", false, false
			}
			parts = append(parts, fmt.Sprintf("%.2f× %s", r, o.target))
			met = met && r < 1
		}
		return strings.Join(parts, ", "), met, true
	}}
}

var (
	syncSerial  = func(t string) key { return key{"Sync", t, "serial"} }
	stackSerial = func(t string) key { return key{"Stack", t, "serial"} }
)

// checks are the performance targets decided by the benchmarks (serial rows;
// the slow-sink targets are decided by cmd/stall).
var checks = []check{
	ratioCheck("handler.JSONHandler vs slog.JSONHandler", "≤ 0.50× (2× faster)",
		syncSerial("slogstack-json"), syncSerial("slog-json"), 0.5),
	{what: "handler.JSONHandler allocs/op vs the floor's", target: "equal", eval: func(s *samples) (string, bool, bool) {
		a, ok1 := s.median(syncSerial("slogstack-json"), "allocs/op")
		f, ok2 := s.median(syncSerial("floor"), "allocs/op")
		if !ok1 || !ok2 {
			return "", false, false
		}
		return fmt.Sprintf("%s vs %s", num(a), num(f)), a == f, true
	}},
	fasterCheck("handler.JSONHandler vs zap's JSON core and phuslu's slog handler", "faster than both",
		syncSerial("slogstack-json"), syncSerial("zap"), syncSerial("phuslu-slog")),
	ratioCheck("whole stack, sampled record (caller side) vs handler.JSONHandler alone", "≤ 1.25×",
		stackSerial("stack-sampled"), stackSerial("slogstack-json"), 1.25),
	ratioCheck("the same stack with async.Writer under handler.JSONHandler instead", "≤ 1.25×",
		stackSerial("stack-sampled-asyncwriter"), stackSerial("slogstack-json"), 1.25),
	fasterCheck("whole stack, sampled record vs zerolog+diode and zap+BufferedWriteSyncer (io.Discard)", "faster than both",
		stackSerial("stack-sampled"), key{"Buffered", "zerolog-diode", "discard-serial"}, key{"Buffered", "zap-buffered", "discard-serial"}),
	ratioCheck("not-sampled record, buffering off vs a call at a disabled level", "≤ 2×",
		stackSerial("stack-unsampled-nobuf"), stackSerial("stack-debug"), 2),
	ratioCheck("not-sampled record, buffering on vs writing the record (handler.JSONHandler)", "≤ 0.50×",
		stackSerial("stack-unsampled-buf"), stackSerial("slogstack-json"), 0.5),
	ratioCheck("async.Writer under handler.JSONHandler (caller side) vs handler.JSONHandler alone", "≤ 1.25×",
		key{"Buffered", "slogstack-asyncwriter", "discard-serial"}, syncSerial("slogstack-json"), 1.25),
	ratioCheck("async.Handler over handler.JSONHandler (caller side) vs handler.JSONHandler alone", "≤ 1.25×",
		key{"Buffered", "slogstack-asynchandler", "discard-serial"}, syncSerial("slogstack-json"), 1.25),
}

// checkTable renders the checks as Markdown; a check whose rows are
// missing from the run says so.
func checkTable(s *samples) string {
	var b strings.Builder
	b.WriteString("| what (serial medians) | target | measured | met |\n|---|---|---|---|\n")
	for _, c := range checks {
		measured, met, ok := c.eval(s)
		verdict := "yes"
		switch {
		case !ok:
			measured, verdict = "not in this run", "—"
		case !met:
			verdict = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.what, c.target, measured, verdict)
	}
	return b.String()
}
