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
	syncSerial    = func(t string) key { return key{"Sync", t, "serial"} }
	stackSerial   = func(t string) key { return key{"Stack", t, "serial"} }
	stackInScope  = func(t string) key { return key{"Stack", t, "serial-inscope"} }
	shapeKey      = func(t, shape string) key { return key{"Shapes", t, shape} }
	asyncStallers = []string{"slogstack-asyncwriter", "slogstack-asynchandler"}
)

// Encoder target: handler.JSONHandler at most this share of phuslu-slog's
// time, on the standard payload and on every shape.
const encoderLimit = 0.85

// stallLimit is the target of stalled/fast caller p99.
const stallLimit = 1.5

// allocsCheck is a check that each of rows has at most the allocs/op of
// ref.
func allocsCheck(what, target string, ref key, rows ...key) check {
	return check{what: what, target: target, eval: func(s *samples) (string, bool, bool) {
		f, ok := s.median(ref, "allocs/op")
		if !ok {
			return "", false, false
		}
		parts := []string{fmt.Sprintf("floor %s", num(f))}
		met := true
		for _, k := range rows {
			a, ok := s.median(k, "allocs/op")
			if !ok {
				return "", false, false
			}
			parts = append(parts, fmt.Sprintf("%s %s", rowName(k), num(a)))
			met = met && a <= f
		}
		return strings.Join(parts, ", "), met, true
	}}
}

// rowName names k on the page: its target, and its variant when that is
// not plain serial.
func rowName(k key) string {
	if k.variant == "serial" {
		return k.target
	}
	return k.target + " " + k.variant
}

// shapesCheck is the encoder target on every shape of the Shapes group:
// the worst ratio is shown, with the shapes that miss.
func shapesCheck() check {
	return check{what: "handler.JSONHandler vs phuslu's slog handler, every payload shape (worst shape)",
		target: fmt.Sprintf("≤ %.2f× on each", encoderLimit), eval: func(s *samples) (string, bool, bool) {
			shapes := s.variants["Shapes"]
			if len(shapes) == 0 {
				return "", false, false
			}
			worst, worstShape := 0.0, ""
			var missed []string
			for _, sh := range shapes {
				r, ok := ratio(s, shapeKey("slogstack-json", sh), shapeKey("phuslu-slog", sh))
				if !ok {
					return "", false, false
				}
				if r > worst {
					worst, worstShape = r, sh
				}
				if r > encoderLimit {
					missed = append(missed, sh)
				}
			}
			out := fmt.Sprintf("%.2f× (%s)", worst, worstShape)
			if len(missed) > 0 {
				out += "; missed on " + strings.Join(missed, ", ")
			}
			return out, len(missed) == 0, true
		}}
}

// stallCheck is the stalled/fast caller p99 target for the asynchronous
// setups, from cmd/stall's report.
func stallCheck() check {
	return check{what: "caller p99 with the sink stalled for 2 s vs a fast sink (async.Writer, async.Handler; cmd/stall)",
		target: fmt.Sprintf("≤ %.1f", stallLimit), eval: func(s *samples) (string, bool, bool) {
			var parts []string
			met := true
			for _, t := range asyncStallers {
				r, ok := s.stallRatios[t]
				if !ok {
					return "", false, false
				}
				parts = append(parts, fmt.Sprintf("%.2f %s", r, t))
				met = met && r <= stallLimit
			}
			return strings.Join(parts, ", "), met, true
		}}
}

// checks are the performance targets decided by the benchmark medians and
// cmd/stall's report, serial rows unless the row says otherwise.
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
	ratioCheck("handler.JSONHandler vs phuslu's slog handler, standard payload", fmt.Sprintf("≤ %.2f×", encoderLimit),
		syncSerial("slogstack-json"), syncSerial("phuslu-slog"), encoderLimit),
	shapesCheck(),
	fasterCheck("handler.JSONHandler vs zap's JSON core", "faster",
		syncSerial("slogstack-json"), syncSerial("zap")),
	ratioCheck("whole stack, sampled record, async on (caller side) vs handler.JSONHandler alone", "≤ 1.25×",
		stackSerial("stack-sampled"), stackSerial("slogstack-json"), 1.25),
	ratioCheck("the same with ten context values over the request scope (stack-sampled-deepctx)", "≤ 1.25×",
		stackSerial("stack-sampled-deepctx"), stackSerial("slogstack-json"), 1.25),
	ratioCheck("the same stack with async.Writer under handler.JSONHandler instead", "≤ 1.25×",
		stackSerial("stack-sampled-asyncwriter"), stackSerial("slogstack-json"), 1.25),
	fasterCheck("whole stack, sampled record vs zerolog+diode and zap+BufferedWriteSyncer (io.Discard)", "faster than both",
		stackSerial("stack-sampled"), key{"Buffered", "zerolog-diode", "discard-serial"}, key{"Buffered", "zap-buffered", "discard-serial"}),
	ratioCheck("not sampled, buffering off, ten context values: per record (stack-unsampled-nobuf-deepctx serial-inscope) vs a disabled-level call through slog.Logger over slog.JSONHandler", "≤ 2×",
		stackInScope("stack-unsampled-nobuf-deepctx"), stackSerial("slog-disabled"), 2),
	ratioCheck("the same, the scope's opening and end included (stack-unsampled-nobuf-deepctx serial, 16 records per scope)", "≤ 2×",
		stackSerial("stack-unsampled-nobuf-deepctx"), stackSerial("slog-disabled"), 2),
	ratioCheck("not sampled, buffering on: per record (stack-unsampled-buf serial-inscope) vs the floor", "≤ 1.3×",
		stackInScope("stack-unsampled-buf"), stackSerial("floor"), 1.3),
	ratioCheck("the same, the scope's opening and end included (stack-unsampled-buf serial, 16 records per scope)", "≤ 1.3×",
		stackSerial("stack-unsampled-buf"), stackSerial("floor"), 1.3),
	allocsCheck("allocs/op of the stack rows vs the floor's (Stack table)", "at most the floor's", stackSerial("floor"),
		stackSerial("stack-sampled"), stackSerial("stack-sampled-asyncwriter"),
		stackInScope("stack-unsampled-nobuf-deepctx"), stackInScope("stack-unsampled-buf")),
	stallCheck(),
	ratioCheck("async.Writer under handler.JSONHandler (caller side) vs handler.JSONHandler alone", "≤ 1.25×",
		key{"Buffered", "slogstack-asyncwriter", "discard-serial"}, syncSerial("slogstack-json"), 1.25),
	ratioCheck("async.Handler over handler.JSONHandler (caller side) vs handler.JSONHandler alone", "≤ 1.25×",
		key{"Buffered", "slogstack-asynchandler", "discard-serial"}, syncSerial("slogstack-json"), 1.25),
}

// checkTable renders the checks as Markdown; a check whose rows are
// missing from the run says so.
func checkTable(s *samples) string {
	var b strings.Builder
	b.WriteString("| what | target | measured | met |\n|---|---|---|---|\n")
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
