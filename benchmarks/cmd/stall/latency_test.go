package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarise(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want latencies
	}{
		{name: "empty", want: latencies{}},
		{name: "one", in: []time.Duration{5}, want: latencies{p50: 5, p99: 5, p999: 5, max: 5}},
		{
			name: "thousand with two slow calls",
			in: func() []time.Duration {
				ds := make([]time.Duration, 1000)
				for i := range ds {
					ds[i] = time.Duration(1000 - i) // 1000 down to 1
				}
				ds[0], ds[1] = 2*time.Second, time.Millisecond
				return ds
			}(),
			// Sorted: 1..998, 1ms, 2s. Nearest rank: p50 = 500th, p99 = 990th,
			// p99.9 = 999th value.
			want: latencies{p50: 500, p99: 990, p999: time.Millisecond, max: 2 * time.Second, slow: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarise(tt.in)
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(latencies{})); d != "" {
				t.Errorf("summarise (-want +got):\n%s", d)
			}
		})
	}
}

func TestMedianRun(t *testing.T) {
	run := func(written uint64) result { return result{target: "t", written: written, drained: time.Second} }
	tests := []struct {
		name string
		in   []result
		want uint64
	}{
		{"one", []result{run(5)}, 5},
		{"odd", []result{run(9), run(1), run(5)}, 5},
		{"even takes the lower middle", []result{run(9), run(1), run(5), run(7)}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := medianRun(tt.in).written; got != tt.want {
				t.Errorf("medianRun: written %d, want %d", got, tt.want)
			}
		})
	}
}
