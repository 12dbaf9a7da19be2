// Command benchmd turns the raw output of the benchmarks (any number of
// rounds of `go test -bench`, appended) into docs/benchmarks.md: one table
// per benchmark group with the median ns/op of every target and its ratio
// to the group's reference, B/op and allocs/op, the spread between rounds,
// the performance targets the medians decide, the CPU profile of each stack row, the payload shapes, the slow-sink
// report of cmd/stall, the benchstat summary, the machine and the exact command.
//
// Usage:
//
//	go run ./cmd/benchmd -bench results/bench.txt [-benchstat results/benchstat.txt] [-stall results/stall.md] [-command 'bash run.sh'] [-gomod go.mod] [-note text] [-load-start "$(cat /proc/loadavg)"] [-started unix-seconds] [-profiles results/profiles] [-o ../docs/benchmarks.md]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	var (
		benchPath = flag.String("bench", "", "raw `go test -bench` output (required)")
		statPath  = flag.String("benchstat", "", "benchstat output to include")
		stallPath = flag.String("stall", "", "cmd/stall Markdown report to include")
		command   = flag.String("command", "bash benchmarks/run.sh", "the command that produced the numbers")
		gomod     = flag.String("gomod", "go.mod", "the benchmarks module's go.mod, for the peers' versions")
		outPath   = flag.String("o", "", "output file (default stdout)")
		note      = flag.String("note", "", "a caveat printed at the top of the page, such as a trial run on a busy machine")
		loadStart = flag.String("load-start", "", "the contents of /proc/loadavg when the run started")
		started   = flag.Int64("started", 0, "when the run started, in Unix seconds, to state its duration")
		profiles  = flag.String("profiles", "", "directory of `go tool pprof -top` outputs, <stack row>.txt, shown under the stack table")
	)
	flag.Parse()
	page := pageData{command: *command, note: *note, peers: peerVersions(*gomod), profiles: *profiles}
	if *started > 0 {
		page.duration = time.Since(time.Unix(*started, 0)).Round(time.Second)
	}
	if err := run(page, *benchPath, *statPath, *stallPath, *loadStart, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "benchmd:", err)
		os.Exit(1)
	}
}

func run(page pageData, benchPath, statPath, stallPath, loadStart, outPath string) error {
	if benchPath == "" {
		return fmt.Errorf("-bench is required")
	}
	f, err := os.Open(benchPath)
	if err != nil {
		return err
	}
	s, err := parse(f)
	f.Close()
	if err != nil {
		return err
	}
	if len(s.groups) == 0 {
		return fmt.Errorf("%s: no benchmark results", benchPath)
	}
	page.samples, page.machine = s, machine(s, loadStart)
	if statPath != "" {
		b, err := os.ReadFile(statPath)
		if err != nil {
			return err
		}
		page.benchstat = string(b)
	}
	if stallPath != "" {
		b, err := os.ReadFile(stallPath)
		if err != nil {
			return err
		}
		page.stall = string(b)
		s.stallRatios = parseStallRatios(page.stall)
	}
	if outPath == "" {
		_, err = io.WriteString(os.Stdout, page.render())
		return err
	}
	return os.WriteFile(outPath, []byte(page.render()), 0o644)
}

// machine describes where the numbers were taken; loadStart is
// /proc/loadavg as it was when the run started.
func machine(s *samples, loadStart string) []string {
	cpu := s.cpu
	if model := cpuModel(); model != "" {
		cpu = model
	}
	host := []string{
		"go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		fmt.Sprintf("CPUs (nproc): %d; GOMAXPROCS of the benchmarks: %s", runtime.NumCPU(), s.procs),
		"CPU model: " + cpu,
		"date: " + time.Now().UTC().Format("2006-01-02 15:04 MST"),
	}
	if end, err := os.ReadFile("/proc/loadavg"); err == nil {
		host = append(host, fmt.Sprintf("load average (1, 5, 15 min) when the run started: %s; when it ended: %s",
			loadFields(loadStart), loadFields(string(end))))
	}
	return host
}

// loadFields returns the three load averages of a /proc/loadavg line, or
// "unknown".
func loadFields(line string) string {
	f := strings.Fields(line)
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// peerVersions returns the "module version" lines of the peers required
// by the go.mod at path; nil when it cannot be read.
func peerVersions(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	peers := []string{"go.uber.org/zap ", "go.uber.org/zap/exp ", "github.com/rs/zerolog ", "github.com/phuslu/log "}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		for _, p := range peers {
			if strings.HasPrefix(line, p) {
				out = append(out, strings.Fields(line)[0]+" "+strings.Fields(line)[1])
			}
		}
	}
	return out
}
