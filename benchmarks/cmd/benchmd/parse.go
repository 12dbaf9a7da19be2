package main

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"
)

// samples holds every measurement of a benchmark output, by benchmark
// group (BenchmarkX -> "X"), target, variant and unit, in the order the
// output first names them.
type samples struct {
	groups   []string
	targets  map[string][]string          // group -> targets
	variants map[string][]string          // group -> variants
	values   map[key]map[string][]float64 // unit -> one value per round
	procs    string                       // the -N GOMAXPROCS suffix
	cpu      string                       // the "cpu:" header line
	// stallRatios are cmd/stall's stalled/fast caller p99 ratios by
	// target; empty when its report was not given.
	stallRatios map[string]float64
}

// key names one benchmark: Benchmark<group>/<target>/<variant>.
type key struct{ group, target, variant string }

// parse reads `go test -bench` output, any number of rounds appended.
// Lines that are not benchmark results are skipped, as are results whose
// names do not have exactly three parts.
func parse(r io.Reader) (*samples, error) {
	s := &samples{
		targets:  map[string][]string{},
		variants: map[string][]string{},
		values:   map[key]map[string][]float64{},

		stallRatios: map[string]float64{},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			s.cpu = strings.TrimSpace(cpu)
			continue
		}
		name, ok := strings.CutPrefix(line, "Benchmark")
		if !ok {
			continue
		}
		fields := strings.Fields(name)
		// name, iterations, then value-unit pairs.
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		full := fields[0]
		if i := strings.LastIndexByte(full, '-'); i >= 0 {
			if _, err := strconv.Atoi(full[i+1:]); err == nil {
				s.procs = full[i+1:]
				full = full[:i]
			}
		}
		parts := strings.Split(full, "/")
		if len(parts) != 3 {
			continue
		}
		k := key{parts[0], parts[1], parts[2]}
		if !slices.Contains(s.groups, k.group) {
			s.groups = append(s.groups, k.group)
		}
		if !slices.Contains(s.targets[k.group], k.target) {
			s.targets[k.group] = append(s.targets[k.group], k.target)
		}
		if !slices.Contains(s.variants[k.group], k.variant) {
			s.variants[k.group] = append(s.variants[k.group], k.variant)
		}
		m := s.values[k]
		if m == nil {
			m = map[string][]float64{}
			s.values[k] = m
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			m[fields[i+1]] = append(m[fields[i+1]], v)
		}
	}
	return s, sc.Err()
}

// stat returns the median of the values of k in unit, their spread, the
// number of values, and whether there was any value at all. The spread is
// half the range of the values as a fraction of the median; with five
// values or more, the lowest and the highest are left out of the range
// first, so that one round disturbed by other work on the machine does not
// set it alone.
func (s *samples) stat(k key, unit string) (median, spread float64, n int, ok bool) {
	vs := slices.Clone(s.values[k][unit])
	if len(vs) == 0 {
		return 0, 0, 0, false
	}
	slices.Sort(vs)
	mid := len(vs) / 2
	median = vs[mid]
	if len(vs)%2 == 0 {
		median = (vs[mid-1] + vs[mid]) / 2
	}
	lo, hi := vs[0], vs[len(vs)-1]
	if len(vs) >= 5 {
		lo, hi = vs[1], vs[len(vs)-2]
	}
	if median != 0 {
		spread = (hi - lo) / 2 / median
	}
	return median, spread, len(vs), true
}

// median is stat's median alone.
func (s *samples) median(k key, unit string) (float64, bool) {
	m, _, _, ok := s.stat(k, unit)
	return m, ok
}
