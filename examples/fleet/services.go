package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Bounds on the services' start and stop.
var (
	serviceStartTimeout = 60 * time.Second
	serviceStopTimeout  = 60 * time.Second // the service's own shutdown timeout is 10s
)

// serviceProc is one instance of the service run as a process.
type serviceProc struct {
	name       string
	url        string // its base URL, read from its standard error
	reportPath string // where it writes its JSON report at exit
	stderrPath string // its standard error (and output), kept for diagnostics
	cmd        *exec.Cmd
	stderr     *os.File
	exited     chan struct{} // closed once cmd.Wait has returned
	waitErr    error         // cmd.Wait's result, set before exited is closed
	killed     bool          // terminate killed it: it did not exit within serviceStopTimeout of SIGTERM
}

// listeningRE matches the line the service prints once it listens.
var listeningRE = regexp.MustCompile(`(?m)^listening on (http://\S+)$`)

// serviceEnv is the environment of the instance name: the fleet's own
// (its LOG_* variables included) with OTEL_SERVICE_NAME set to name.
func serviceEnv(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "OTEL_SERVICE_NAME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "OTEL_SERVICE_NAME="+name)
}

// startService starts the instance name of bin, exporting to the OTLP/HTTP
// endpoint, calling downstream ("" for none), with its report and
// standard error in dir, and returns once it listens.
func startService(ctx context.Context, bin, name, endpoint, downstream, dir string) (*serviceProc, error) {
	p := &serviceProc{
		name:       name,
		reportPath: filepath.Join(dir, name+".json"),
		stderrPath: filepath.Join(dir, name+".stderr"),
		exited:     make(chan struct{}),
	}
	args := []string{"-addr", "127.0.0.1:0", "-otlp-endpoint", endpoint, "-report-json", p.reportPath}
	if downstream != "" {
		args = append(args, "-downstream", downstream)
	}
	f, err := os.Create(p.stderrPath)
	if err != nil {
		return nil, err
	}
	p.stderr = f
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = serviceEnv(name)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitListening(ctx); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// waitListening waits for the "listening on" line in the instance's
// standard error.
func (p *serviceProc) waitListening(ctx context.Context) error {
	deadline := time.NewTimer(serviceStartTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		if m := listeningRE.FindSubmatch(p.readStderr()); m != nil {
			p.url = string(m[1])
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s did not start: %v\n%s", p.name, p.waitErr, p.readStderr())
		case <-deadline.C:
			return fmt.Errorf("%s did not start within %v:\n%s", p.name, serviceStartTimeout, p.readStderr())
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", p.name, ctx.Err())
		case <-poll.C:
		}
	}
}

// readStderr returns what the instance wrote to its standard error so far.
func (p *serviceProc) readStderr() []byte {
	b, _ := os.ReadFile(p.stderrPath)
	return b
}

// terminate shuts the instance down gracefully with SIGTERM, as an
// orchestrator does, and waits for it: it has then written every record
// it accepted and its report. One that does not exit within
// serviceStopTimeout (stalled) is killed, as an orchestrator does, and its
// exit status says so. Its exit status is in exitStatus; an error is an
// instance that could not be signalled.
func (p *serviceProc) terminate() error {
	select {
	case <-p.exited:
	default:
		// A process that has just died (its Wait not returned yet) is
		// waited for like one that exits on the signal.
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.kill()
			return fmt.Errorf("%s: %w", p.name, err)
		}
		select {
		case <-p.exited:
		case <-time.After(serviceStopTimeout):
			p.killed = true
		}
	}
	p.kill()
	return nil
}

// exitStatus describes how the instance exited: "0", or its exit error
// and the last line of its standard error (the service says there why,
// for example the records its exporter could not send).
func (p *serviceProc) exitStatus() string {
	last := lastLines(p.readStderr(), 1)
	switch {
	case p.killed:
		return fmt.Sprintf("killed: no exit within %v of SIGTERM: %s", serviceStopTimeout, last)
	case p.waitErr == nil:
		return "0"
	}
	return fmt.Sprintf("%v: %s", p.waitErr, last)
}

// kill ends the instance at once if it still runs (a fleet that failed
// before stopping it) and waits for it.
func (p *serviceProc) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.stderr.Close()
}

// lastLines returns the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// serviceReport is the JSON report a service writes at exit with
// -report-json.
type serviceReport struct {
	Service   string        `json:"service"`
	Requests  uint64        `json:"requests"` // requests its HTTP server answered
	Stack     stackCounters `json:"stack"`
	Written   uint64        `json:"written"` // records the stack handed to its sink (the exporter)
	Export    *exportStats  `json:"export"`  // the exporter's counters; nil without -otlp-endpoint
	Accounted bool          `json:"accounted"`
}

// stackCounters are the stack's counters in a service's report.
type stackCounters struct {
	Logged       uint64 `json:"logged"`
	SampledOut   uint64 `json:"sampled_out"`
	Rescued      uint64 `json:"rescued"`
	Folded       uint64 `json:"folded"`
	Summaries    uint64 `json:"summaries"`
	AsyncDropped uint64 `json:"async_dropped"`
	DropReports  uint64 `json:"drop_reports"`
	// InFlight is present only when the service's shutdown left a call
	// into its sink running: those records are neither handed on nor
	// counted lost by the stack, so the fleet counts them lost.
	InFlight uint64 `json:"in_flight,omitempty"`
}

// exportStats are the exporter's counters in a service's report.
type exportStats struct {
	Handed        uint64 `json:"handed"`
	Exported      uint64 `json:"exported"`
	Failed        uint64 `json:"failed"`
	Dropped       uint64 `json:"dropped"`
	Abandoned     uint64 `json:"abandoned"`
	Pending       uint64 `json:"pending"`
	Exports       uint64 `json:"exports"`
	FailedExports uint64 `json:"failed_exports"`
	LastError     string `json:"last_error"`
}

// lost is what the exporter counted as not exported.
func (e exportStats) lost() uint64 { return e.Failed + e.Dropped + e.Abandoned }

// readServiceReport decodes the JSON report at path; a field the fleet
// does not know is an error (the schema changed).
func readServiceReport(path string) (serviceReport, error) {
	var r serviceReport
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if r.Export == nil {
		return r, fmt.Errorf("%s: no export counters: did the service export over OTLP?", path)
	}
	return r, nil
}
