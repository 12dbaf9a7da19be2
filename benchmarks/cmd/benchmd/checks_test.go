package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// targetsRun is one round of every row the targets need, with numbers
// chosen so that some targets are met and some missed.
const targetsRun = `cpu: AMD EPYC
BenchmarkSync/floor/serial-2               	 100	 200 ns/op	 48 B/op	 1 allocs/op
BenchmarkSync/slog-json/serial-2           	 100	 700 ns/op	 48 B/op	 1 allocs/op
BenchmarkSync/slogstack-json/serial-2      	 100	 340 ns/op	 48 B/op	 1 allocs/op
BenchmarkSync/zap/serial-2                 	 100	 600 ns/op	 0 B/op	 0 allocs/op
BenchmarkSync/phuslu-slog/serial-2         	 100	 400 ns/op	 48 B/op	 1 allocs/op
BenchmarkShapes/slog-json/bare-2           	 100	 500 ns/op	 0 B/op	 0 allocs/op
BenchmarkShapes/slogstack-json/bare-2      	 100	 160 ns/op	 0 B/op	 0 allocs/op
BenchmarkShapes/phuslu-slog/bare-2         	 100	 200 ns/op	 0 B/op	 0 allocs/op
BenchmarkShapes/slog-json/attrs40-2        	 100	 9000 ns/op	 1440 B/op	 5 allocs/op
BenchmarkShapes/slogstack-json/attrs40-2   	 100	 5000 ns/op	 1408 B/op	 1 allocs/op
BenchmarkShapes/phuslu-slog/attrs40-2      	 100	 5000 ns/op	 1408 B/op	 1 allocs/op
BenchmarkStack/floor/serial-2              	 100	 200 ns/op	 48 B/op	 1 allocs/op
BenchmarkStack/slogstack-json/serial-2     	 100	 400 ns/op	 48 B/op	 1 allocs/op
BenchmarkStack/slog-disabled/serial-2      	 100	 20 ns/op	 0 B/op	 0 allocs/op
BenchmarkStack/stack-sampled/serial-2      	 100	 480 ns/op	 48 B/op	 1 allocs/op
BenchmarkStack/stack-sampled-asyncwriter/serial-2  	 100	 700 ns/op	 96 B/op	 2 allocs/op
BenchmarkStack/stack-sampled/parallel4x-2  	 100	 300 ns/op	 48 B/op	 1 allocs/op
BenchmarkStack/stack-unsampled-nobuf-deepctx/serial-2         	 100	 90 ns/op	 10 B/op	 0 allocs/op
BenchmarkStack/stack-unsampled-nobuf-deepctx/serial-inscope-2 	 100	 30 ns/op	 0 B/op	 0 allocs/op
BenchmarkStack/stack-unsampled-buf/serial-2                   	 100	 400 ns/op	 300 B/op	 4 allocs/op
BenchmarkStack/stack-unsampled-buf/serial-inscope-2           	 100	 250 ns/op	 100 B/op	 2 allocs/op
BenchmarkBuffered/zerolog-diode/discard-serial-2 	 100	 500 ns/op	 0 drops/op	 0 B/op	 0 allocs/op
BenchmarkBuffered/zap-buffered/discard-serial-2  	 100	 450 ns/op	 0 drops/op	 0 B/op	 0 allocs/op
`

// stallReport is the part of a cmd/stall report the targets read.
const stallReport = `### Caller latency, fast sink

| target | p50 | p99 |
|---|--:|--:|
| slogstack-asyncwriter | 1µs | 2µs |

### Stalled / fast caller p99 (target ≤ 1.5)

A setup that blocks...

| target | fast p99 | stalled p99 | ratio | within target | fast max | stalled max |
|---|--:|--:|--:|---|--:|--:|
| slog-json | 3.3µs | 2.5µs | 0.76 | yes | 11.9ms | 2.01s |
| slogstack-asyncwriter | 15.5µs | 22.1µs | 1.43 | yes | 2.7ms | 1.02s |
| slogstack-asynchandler | 10µs | 20µs | 2.00 | **no** | 2.7ms | 1.02s |

### Sustained rate

| target | records/s | ratio |
|---|--:|--:|
| slogstack-asynchandler | 100 | 0.50 |
`

func TestParseStallRatios(t *testing.T) {
	got := parseStallRatios(stallReport)
	want := map[string]float64{"slog-json": 0.76, "slogstack-asyncwriter": 1.43, "slogstack-asynchandler": 2.00}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parseStallRatios (-want +got):\n%s", d)
	}
}

// TestChecksJudge checks each target's measured value and verdict on a
// fixture: met, missed, and not in the run.
func TestChecksJudge(t *testing.T) {
	s, err := parse(strings.NewReader(targetsRun))
	if err != nil {
		t.Fatal(err)
	}
	s.stallRatios = parseStallRatios(stallReport)
	type verdict struct{ Measured, Met string }
	got := map[string]verdict{}
	for _, c := range checks {
		m, met, ok := c.eval(s)
		v := verdict{m, "no"}
		switch {
		case !ok:
			v = verdict{"", "not in this run"}
		case met:
			v.Met = "yes"
		}
		got[c.what] = v
	}
	want := map[string]verdict{
		"handler.JSONHandler vs slog.JSONHandler":                                          {"0.49×", "yes"},
		"handler.JSONHandler allocs/op vs the floor's":                                     {"1 vs 1", "yes"},
		"handler.JSONHandler vs phuslu's slog handler, standard payload":                   {"0.85×", "yes"},
		"handler.JSONHandler vs phuslu's slog handler, every payload shape (worst shape)":  {"1.00× (attrs40); missed on attrs40", "no"},
		"handler.JSONHandler vs zap's JSON core":                                           {"0.57× zap", "yes"},
		"whole stack, sampled record, async on (caller side) vs handler.JSONHandler alone": {"1.20×", "yes"},
		"the same with ten context values over the request scope (stack-sampled-deepctx)":  {"", "not in this run"},
		"the same stack with async.Writer under handler.JSONHandler instead":               {"1.75×", "no"},
		"whole stack, sampled record vs zerolog+diode and zap+BufferedWriteSyncer (io.Discard)": {
			"0.96× zerolog-diode, 1.07× zap-buffered", "no"},
		"not sampled, buffering off, ten context values: per record (stack-unsampled-nobuf-deepctx serial-inscope) vs a disabled-level call through slog.Logger over slog.JSONHandler": {"1.50×", "yes"},
		"the same, the scope's opening and end included (stack-unsampled-nobuf-deepctx serial, 16 records per scope)":                                                                  {"4.50×", "no"},
		"the same, the scope's opening and end included (stack-unsampled-buf serial, 16 records per scope)":                                                                            {"2.00×", "no"},
		"not sampled, buffering on: per record (stack-unsampled-buf serial-inscope) vs the floor":                                                                                      {"1.25×", "yes"},
		"allocs/op of the stack rows vs the floor's (Stack table)": {
			"floor 1, stack-sampled 1, stack-sampled-asyncwriter 2, stack-unsampled-nobuf-deepctx serial-inscope 0, stack-unsampled-buf serial-inscope 2", "no"},
		"caller p99 with the sink stalled for 2 s vs a fast sink (async.Writer, async.Handler; cmd/stall)": {"1.43 slogstack-asyncwriter, 2.00 slogstack-asynchandler", "no"},
		"async.Writer under handler.JSONHandler (caller side) vs handler.JSONHandler alone":                {"", "not in this run"},
		"async.Handler over handler.JSONHandler (caller side) vs handler.JSONHandler alone":                {"", "not in this run"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
}

// pprofTop is `go tool pprof -top` output, cut short.
const pprofTop = `File: benchmarks.test
Type: cpu
Time: 2026-12-05 03:10:00 UTC
Duration: 2.51s, Total samples = 2.40s (95.62%)
Showing nodes accounting for 2.10s, 87.50% of 2.40s total
Dropped 40 nodes (cum <= 0.01s)
      flat  flat%   sum%        cum   cum%
     0.50s 20.83% 20.83%      0.80s 33.33%  github.com/slogstack/slogstack/redact.(*Handler).Handle
     0.30s 12.50% 33.33%      0.30s 12.50%  runtime.mallocgc
     0.20s  8.33% 41.67%      0.20s  8.33%  github.com/slogstack/slogstack/internal/fuse.Tail.Record (inline)
     0.10s  4.17% 45.83%      2.30s 95.83%  testing.(*B).runN
`

func TestParseProfileTop(t *testing.T) {
	summary, got := parseProfileTop(pprofTop, 3)
	want := []profileEntry{
		{"0.50s", "20.83%", "0.80s", "33.33%", "redact.(*Handler).Handle"},
		{"0.30s", "12.50%", "0.30s", "12.50%", "runtime.mallocgc"},
		{"0.20s", "8.33%", "0.20s", "8.33%", "(internal) Tail.Record (inline)"},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(profileEntry{})); d != "" {
		t.Errorf("parseProfileTop (-want +got):\n%s", d)
	}
	if summary != "Showing nodes accounting for 2.10s, 87.50% of 2.40s total" {
		t.Errorf("summary %q", summary)
	}
}

// TestPageShowsShapesAndProfiles renders a page from the fixture and a
// profile directory and checks the shape table's rows and the profile
// of the stack row that has one, placed under the stack table.
func TestPageShowsShapesAndProfiles(t *testing.T) {
	s, err := parse(strings.NewReader(targetsRun))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack-sampled.txt"), []byte(pprofTop), 0o644); err != nil {
		t.Fatal(err)
	}
	page := pageData{samples: s, command: "bash run.sh", profiles: dir}.render()
	for _, want := range []string{
		"| bare | 500 (1.00×) | 0 | 160 (0.32×) | 0 | 200 (0.40×) | 0 | — | — | 0.80× | yes |",
		"| attrs40 | 9000 (1.00×) | 5 | 5000 (0.56×) | 1 | 5000 (0.56×) | 1 | — | — | 1.00× | **no** |",
		"#### stack-sampled\n\nShowing nodes accounting for 2.10s, 87.50% of 2.40s total\n\n",
		"| 0.50s | 20.83% | 0.80s | 33.33% | `redact.(*Handler).Handle` |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "#### stack-unsampled-buf\n") {
		t.Error("page shows a profile of a row without one")
	}
	stack, prof, shapes := strings.Index(page, "### The whole stack"), strings.Index(page, "### Where the time goes"), strings.Index(page, "### Payload shapes")
	if stack < 0 || prof < stack || shapes < 0 {
		t.Errorf("stack table at %d, profiles at %d, shapes at %d: want the profiles under the stack table", stack, prof, shapes)
	}
}
