package main

import (
	"fmt"
	"slices"
	"strings"
)

// groupSpec says how one benchmark group becomes a table.
type groupSpec struct {
	name  string // Benchmark<name>
	title string
	about string // the paragraph under the title
	ref   string // the target every ratio is taken against
	// allocs lists the variants whose B/op and allocs/op get a column.
	allocs []string
	// metrics lists the extra units (b.ReportMetric) shown per variant.
	metrics []string
}

// specs are the groups of the benchmarks package, in page order. A group
// in the output that is not listed here is rendered with defaults.
var specs = []groupSpec{
	{
		name:  "Sync",
		title: "Synchronous, to io.Discard",
		about: "The standard payload logged synchronously to io.Discard. `floor` is slog.Logger over a handler that does nothing (Enabled true): " +
			"slog's own cost, under any slog handler. `slog-discard` is slog.DiscardHandler: a call disabled before a Record is built. " +
			"`src-` columns turn on AddSource (zap AddCaller, zerolog and phuslu Caller). zap, zerolog and phuslu log through their own APIs; " +
			"`zapslog` and `phuslu-slog` are their slog handlers behind slog.Logger.",
		ref:    "slog-json",
		allocs: []string{"serial", "src-serial"},
	},
	{
		// Rendered by shapesTable; listed for its place on the page.
		name:  "Shapes",
		title: "Payload shapes, to io.Discard",
	},
	{
		name:  "Buffered",
		title: "Buffered and asynchronous, caller side",
		about: "The caller's cost per record with the setups that buffer or hand off, to io.Discard and to a real file, " +
			"and the records each counted as dropped per call once closed (drops/op; the drain after the last call is not timed). " +
			"`slog-json` writes straight to the sink. zerolog's diode holds 10000 records and polls every 10 ms; " +
			"zap's BufferedWriteSyncer buffers 256 KiB and flushes on the caller when full.",
		ref:     "slog-json",
		allocs:  []string{"discard-serial"},
		metrics: []string{"drops/op"},
	},
	{
		name:  "Stack",
		title: "The whole stack, caller side",
		about: "Stacks built by the public builder from slogstack.DefaultConfig() (every layer, in the order of docs/architecture.md) " +
			"writing JSON to io.Discard, logging with a request scope opened by scope.Start(ctx, stack.ScopeOptions(path)). " +
			"`stack-sampled`: SamplingPolicy.Rate 1, every record is written (slogstack.NewStackWithSink over handler.JSONHandler: async.Handler queues the record, the encoding happens on its goroutine); " +
			"`stack-sampled-asyncwriter`: the same built by slogstack.NewStack (handler.JSONHandler over async.Writer: encoding on the caller). " +
			"`stack-unsampled-nobuf`: Rate 0 and SamplingOptions.MaxRequestRecords 0 (no buffering). `stack-unsampled-buf`: Rate 0, records buffered until the request ends and then dropped. " +
			"`stack-debug`: a Debug call at level Info through the stack. `-deepctx` rows log with ten context.WithValue layers over the scope's context, as middleware stacks do. " +
			"`slog-disabled`: an Info call through slog.Logger over slog.JSONHandler at level Warn (the reference of the not-sampled target with buffering off). " +
			"Every stack row logs requests of 16 records: the scope's opening and end " +
			"are timed, amortised over its records; `scope-only` is that cost alone (scopes of a stack built from the zero Config opened and ended, nothing logged). " +
			"`serial-inscope` (not-sampled rows only) times the records alone, in scopes of 256 records opened and ended with the timer stopped. " +
			"`parallel` runs GOMAXPROCS goroutines, `parallel4x` four times as many (b.SetParallelism(4)), each serving its own requests. " +
			"`floor`, `slog-disabled` and `slogstack-json` (handler.JSONHandler alone, the reference of the ratios) log without a scope, bound to both attributes.",
		ref:    "slogstack-json",
		allocs: []string{"serial", "serial-inscope"},
	},
	{
		name:  "Redact",
		title: "Redaction",
		about: "handler.JSONHandler to io.Discard without redaction (`plain`), behind redact.Handler (`redact`), and with a typical " +
			"ReplaceAttr that lower-cases keys against a deny list and runs regular expressions over every string (`regexp-replaceattr`). " +
			"`clean`: the standard payload, nothing to mask. `secret`: the payload plus an authorization header with a bearer token and " +
			"an error text that carries a card number.",
		ref:    "plain",
		allocs: []string{"clean-serial", "secret-serial"},
	},
}

// specFor returns the spec of group g, or a default one.
func specFor(g string) groupSpec {
	for _, sp := range specs {
		if sp.name == g {
			return sp
		}
	}
	return groupSpec{name: g, title: g}
}

// table renders group g of s as Markdown: for every variant the median
// ns/op with the ratio to the reference target, then the extra metrics,
// B/op and allocs/op, and the widest spread of the row's ns/op.
func table(s *samples, g string) string {
	sp := specFor(g)
	variants := s.variants[g]
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", sp.title)
	if sp.about != "" {
		fmt.Fprintf(&b, "%s\n\n", sp.about)
	}
	head := []string{"target"}
	align := []string{"---"}
	for _, v := range variants {
		head = append(head, v+" ns/op")
		align = append(align, "--:")
		for _, m := range sp.metrics {
			head = append(head, v+" "+m)
			align = append(align, "--:")
		}
	}
	for _, v := range sp.allocs {
		if slices.Contains(variants, v) {
			head = append(head, v+" B/op", v+" allocs/op")
			align = append(align, "--:", "--:")
		}
	}
	head = append(head, "spread")
	align = append(align, "--:")
	fmt.Fprintf(&b, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))

	for _, t := range s.targets[g] {
		row := []string{t}
		if t == sp.ref {
			row[0] = "**" + t + "**"
		}
		spread := 0.0
		for _, v := range variants {
			k := key{g, t, v}
			m, sd, _, ok := s.stat(k, "ns/op")
			cell := "—"
			if ok {
				spread = max(spread, sd)
				cell = num(m)
				if r, ok := s.median(key{g, sp.ref, v}, "ns/op"); ok && r > 0 && sp.ref != "" {
					cell += fmt.Sprintf(" (%.2f×)", m/r)
				}
			}
			row = append(row, cell)
			for _, unit := range sp.metrics {
				cell := "—"
				if m, ok := s.median(k, unit); ok {
					cell = fmt.Sprintf("%.3f", m)
				}
				row = append(row, cell)
			}
		}
		for _, v := range sp.allocs {
			if !slices.Contains(variants, v) {
				continue
			}
			for _, unit := range []string{"B/op", "allocs/op"} {
				cell := "—"
				if m, ok := s.median(key{g, t, v}, unit); ok {
					cell = num(m)
				}
				row = append(row, cell)
			}
		}
		row = append(row, fmt.Sprintf("±%.0f%%", spread*100))
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	return b.String()
}

// num formats a median: integers without decimals, small values with two.
func num(v float64) string {
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
