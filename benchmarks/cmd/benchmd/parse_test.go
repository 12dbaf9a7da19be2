package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const twoRounds = `goos: linux
goarch: amd64
pkg: github.com/slogstack/slogstack/benchmarks
cpu: AMD EPYC
BenchmarkSync/floor/serial-2          	 1000000	       500.0 ns/op	      48 B/op	       1 allocs/op
BenchmarkSync/slog-json/serial-2      	  500000	      2000 ns/op	      48 B/op	       1 allocs/op
BenchmarkBuffered/zerolog-diode/discard-serial-2 	  100	      1000 ns/op	         0.4000 drops/op	     286 B/op	       3 allocs/op
BenchmarkOther-2                      	  100	      1000 ns/op
PASS
ok  	github.com/slogstack/slogstack/benchmarks	1.0s
cpu: AMD EPYC
BenchmarkSync/floor/serial-2          	 1000000	       520.0 ns/op	      48 B/op	       1 allocs/op
BenchmarkSync/slog-json/serial-2      	  500000	      2200 ns/op	      48 B/op	       1 allocs/op
BenchmarkSync/slog-json/parallel-2    	  500000	      1000 ns/op	      48 B/op	       1 allocs/op
BenchmarkBuffered/zerolog-diode/discard-serial-2 	  100	      3000 ns/op	         0.6000 drops/op	     286 B/op	       3 allocs/op
`

func TestParse(t *testing.T) {
	s, err := parse(strings.NewReader(twoRounds))
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Groups           []string
		Targets          map[string][]string
		Variants         map[string][]string
		Procs, CPU       string
		FloorNs, DiodeNs []float64
		Drops            []float64
	}{
		s.groups, s.targets, s.variants, s.procs, s.cpu,
		s.values[key{"Sync", "floor", "serial"}]["ns/op"],
		s.values[key{"Buffered", "zerolog-diode", "discard-serial"}]["ns/op"],
		s.values[key{"Buffered", "zerolog-diode", "discard-serial"}]["drops/op"],
	}
	want := got
	want.Groups = []string{"Sync", "Buffered"}
	want.Targets = map[string][]string{"Sync": {"floor", "slog-json"}, "Buffered": {"zerolog-diode"}}
	want.Variants = map[string][]string{"Sync": {"serial", "parallel"}, "Buffered": {"discard-serial"}}
	want.Procs, want.CPU = "2", "AMD EPYC"
	want.FloorNs, want.DiodeNs, want.Drops = []float64{500, 520}, []float64{1000, 3000}, []float64{0.4, 0.6}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parse (-want +got):\n%s", d)
	}
}

func TestStat(t *testing.T) {
	s, err := parse(strings.NewReader(twoRounds))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		k            key
		unit         string
		median, half float64
		n            int
		ok           bool
	}{
		{key{"Sync", "slog-json", "serial"}, "ns/op", 2100, 100.0 / 2100, 2, true},
		{key{"Sync", "slog-json", "parallel"}, "ns/op", 1000, 0, 1, true},
		{key{"Buffered", "zerolog-diode", "discard-serial"}, "drops/op", 0.5, 0.1 / 0.5, 2, true},
		{key{"Sync", "missing", "serial"}, "ns/op", 0, 0, 0, false},
	}
	for _, tt := range tests {
		m, h, n, ok := s.stat(tt.k, tt.unit)
		if m != tt.median || !near(h, tt.half) || n != tt.n || ok != tt.ok {
			t.Errorf("stat(%v, %s) = %v, %v, %v, %v; want %v, %v, %v, %v", tt.k, tt.unit, m, h, n, ok, tt.median, tt.half, tt.n, tt.ok)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestSpreadLeavesOutTheExtremesFromFiveRounds(t *testing.T) {
	var in strings.Builder
	for _, ns := range []string{"100", "1000", "110", "90", "105", "5"} {
		in.WriteString("BenchmarkSync/x/serial-2 \t 10 \t " + ns + " ns/op\n")
	}
	s, err := parse(strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	// Sorted: 5 90 100 105 110 1000; median 102.5; without the extremes
	// the range is 90..110.
	m, spread, n, ok := s.stat(key{"Sync", "x", "serial"}, "ns/op")
	if m != 102.5 || !near(spread, 10/102.5) || n != 6 || !ok {
		t.Errorf("stat = %v, %v, %v, %v; want 102.5, %v, 6, true", m, spread, n, ok, 10/102.5)
	}
}

func TestTableAndChecks(t *testing.T) {
	s, err := parse(strings.NewReader(twoRounds))
	if err != nil {
		t.Fatal(err)
	}
	got := table(s, "Sync")
	for _, want := range []string{
		"| floor | 510 (0.24×) | — | 48 | 1 | ±2% |",
		"| **slog-json** | 2100 (1.00×) | 1000 (1.00×) | 48 | 1 | ±5% |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if got := checkTable(s); !strings.Contains(got, "| handler.JSONHandler vs slog.JSONHandler | ≤ 0.50× (2× faster) | not in this run | — |") {
		t.Errorf("a check without its rows must say so:\n%s", got)
	}
}
