// Command stall measures what logging costs the caller when the sink is
// slow, for slogstack's asynchronous setups and the peers' buffered ones
// (benchmarks.BufferedTargets), and whether the asynchronous setups keep up
// with a healthy sink.
//
// It runs four experiments and prints them as Markdown:
//
//   - fast and stalled: N producers log R records in total into a sink
//     that counts them; in the stalled run the sink sleeps once, for 2 s,
//     when it has seen 10000 records. For each setup it reports the
//     callers' latency per call (p50, p99, p99.9, max, calls of 1 ms or
//     more), how long the callers took and how long until Close returned,
//     the sink's Write calls and records, the records the setup counted as
//     dropped and the records lost (neither written nor counted), and the
//     stalled/fast p99 ratio (slogstack's target: at most 1.5).
//   - sustained: one producer logs R records to a real file; records per
//     second until Close returned, against slogstack's JSON handler
//     writing synchronously to io.Discard (target: at least 0.8x); the
//     median of -repeat interleaved rounds.
//   - healthy: N producers at full speed into io.Discard and into a real
//     file; records dropped (target: none).
//
// Usage:
//
//	go run ./cmd/stall [-producers 4] [-records 100000] [-stall 2s] [-stall-after 10000] [-repeat 3] [-targets a,b] [-out file]
//
// With the defaults it finishes in well under a minute.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slogstack/slogstack/benchmarks"
)

// config is the command line.
type config struct {
	producers  int
	records    int
	stall      time.Duration
	stallAfter int
	repeat     int
	targets    string
	out        string
}

func main() {
	var c config
	flag.IntVar(&c.producers, "producers", 4, "concurrent logging goroutines in the fast, stalled and healthy runs")
	flag.IntVar(&c.records, "records", 100000, "records logged per run, shared between the producers")
	flag.DurationVar(&c.stall, "stall", 2*time.Second, "how long the stalled sink blocks, once")
	flag.IntVar(&c.stallAfter, "stall-after", 10000, "records the sink sees before it stalls")
	flag.IntVar(&c.repeat, "repeat", 3, "rounds of the sustained-rate runs; the median run of each setup is reported")
	flag.StringVar(&c.targets, "targets", "", "comma-separated target names (default: all buffered targets)")
	flag.StringVar(&c.out, "out", "", "write the Markdown report to this file instead of stdout")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "stall:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if c.producers < 1 || c.records < c.producers || c.stall < 0 || c.stallAfter < 0 || c.repeat < 1 {
		return errors.New("need -producers >= 1, -records >= -producers, -stall >= 0, -stall-after >= 0, -repeat >= 1")
	}
	targets := benchmarks.BufferedTargets()
	if c.targets != "" {
		targets = benchmarks.TargetsNamed(targets, strings.Split(c.targets, ",")...)
		if len(targets) == 0 {
			return fmt.Errorf("no known target in %q", c.targets)
		}
	}
	dir, err := os.MkdirTemp("", "slogstack-stall-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var r report
	r.config = c
	for _, t := range targets {
		for _, stalled := range []bool{false, true} {
			s := &sink{next: io.Discard}
			if stalled {
				s.stall, s.stallAfter = c.stall, uint64(c.stallAfter)
			}
			res, err := measure(t, s, c.producers, c.records, true)
			if err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			if stalled {
				r.stalled = append(r.stalled, res)
			} else {
				r.fast = append(r.fast, res)
			}
		}
	}

	if err := r.measureSustained(targets, dir); err != nil {
		return err
	}
	for _, t := range targets {
		res, err := measure(t, &sink{next: io.Discard}, c.producers, c.records, false)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		r.healthyDiscard = append(r.healthyDiscard, res)
		res, err = measureFile(t, filepath.Join(dir, t.Name+".healthy.json"), c.producers, c.records)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		r.healthyFile = append(r.healthyFile, res)
	}

	if c.out == "" {
		return r.write(os.Stdout)
	}
	f, err := os.Create(c.out)
	if err != nil {
		return err
	}
	err = r.write(f)
	return errors.Join(err, f.Close())
}

// measureSustained fills r.reference and r.sustained: r.repeat rounds of
// the reference and then every target, one producer each, keeping for each
// the run with the median rate, so that a burst of noise on a shared
// machine moves no ratio by itself.
func (r *report) measureSustained(targets []benchmarks.Target, dir string) error {
	ref := referenceTarget()
	refRuns := make([]result, 0, r.repeat)
	runs := make([][]result, len(targets))
	for range r.repeat {
		res, err := measure(ref, &sink{next: io.Discard, uncounted: true}, 1, r.records, false)
		if err != nil {
			return fmt.Errorf("%s: %w", ref.Name, err)
		}
		res.written = res.logged // written synchronously to io.Discard, uncounted
		refRuns = append(refRuns, res)
		for i, t := range targets {
			res, err := measureFile(t, filepath.Join(dir, t.Name+".sustained.json"), 1, r.records)
			if err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			runs[i] = append(runs[i], res)
		}
	}
	r.reference = medianRun(refRuns)
	for _, rs := range runs {
		r.sustained = append(r.sustained, medianRun(rs))
	}
	return nil
}

// medianRun returns the run of rs with the median rate (the lower middle
// one of an even count); rs must not be empty.
func medianRun(rs []result) result {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.perSecond(), b.perSecond()) })
	return rs[(len(rs)-1)/2]
}

// referenceTarget is the sustained rate's yardstick: slogstack's JSON
// handler writing synchronously to io.Discard, or slog.JSONHandler when
// this build has no slogstack handler.
func referenceTarget() benchmarks.Target {
	if ts := benchmarks.TargetsNamed(benchmarks.SyncTargets(), benchmarks.SlogstackJSONName); len(ts) == 1 {
		return ts[0]
	}
	return benchmarks.SlogJSON
}

// result is one run of one setup.
type result struct {
	target     string
	lat        latencies // empty unless timed
	callers    time.Duration
	drained    time.Duration
	logged     uint64
	sinkWrites uint64
	written    uint64
	reports    uint64 // lines other than payload records: drop notices
	dropped    uint64
}

// lost is the records neither written nor counted as dropped.
func (r result) lost() int64 { return int64(r.logged) - int64(r.written) - int64(r.dropped) }

// perSecond is the records written per second until Close returned.
func (r result) perSecond() float64 {
	if r.drained <= 0 {
		return 0
	}
	return float64(r.written) / r.drained.Seconds()
}

// measureFile runs measure into a new file at path, untimed per call.
func measureFile(t benchmarks.Target, path string, producers, records int) (result, error) {
	f, err := os.Create(path)
	if err != nil {
		return result{}, err
	}
	res, err := measure(t, &sink{next: f}, producers, records, false)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return res, errors.Join(err, os.Remove(path))
}

// measure opens t on s and has producers goroutines log records records in
// total, timing every call when timed is set, then closes the setup.
func measure(t benchmarks.Target, s *sink, producers, records int, timed bool) (result, error) {
	setup := t.Open(s, benchmarks.Options{})
	per := make([][]time.Duration, producers)
	var wg sync.WaitGroup
	start := time.Now()
	for p := range producers {
		n := records / producers
		if p < records%producers {
			n++
		}
		wg.Go(func() {
			if !timed {
				for range n {
					setup.Log()
				}
				return
			}
			ds := make([]time.Duration, n)
			for i := range ds {
				t0 := time.Now()
				setup.Log()
				ds[i] = time.Since(t0)
			}
			per[p] = ds
		})
	}
	wg.Wait()
	callers := time.Since(start)
	dropped, err := setup.Shut()
	drained := time.Since(start)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return result{}, err
	}
	var all []time.Duration
	for _, ds := range per {
		all = append(all, ds...)
	}
	return result{
		target:     t.Name,
		lat:        summarise(all),
		callers:    callers,
		drained:    drained,
		logged:     uint64(records),
		sinkWrites: s.writes.Load(),
		written:    s.records.Load(),
		reports:    s.others.Load(),
		dropped:    dropped,
	}, nil
}
