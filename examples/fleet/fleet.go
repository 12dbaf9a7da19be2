package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/slogstack/slogstack"
)

// collectorStopTimeout bounds the Collector's graceful stop (its batch
// processor's flush and the file's).
const collectorStopTimeout = 30 * time.Second

// requestTimeout bounds each request of the load: a stalled service holds
// a client no longer (a healthy fleet answers in milliseconds).
var requestTimeout = 10 * time.Second

// window is a span of time: [start, end).
type window struct{ start, end time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.start) && t.Before(w.end) }

func (w window) length() time.Duration { return w.end.Sub(w.start) }

// fleetRun is what one run of the fleet produced.
type fleetRun struct {
	cfg          config
	rate         float64 // the services' sampling rate: the fraction of requests kept
	services     []serviceReport
	exits        []string // each service's exit status: "0" or why not
	noReports    []string // why each service has no report ("" when it wrote one)
	requests     []*request
	unsent       int // requests not sent: no client was free by the load's end
	received     []receivedRecord
	outage       *window       // when the Collector was down; nil without -outage
	restart      time.Duration // how long the new Collector took to start
	stopBegan    time.Time     // when the Collector's stop before the outage began
	interrupted  bool          // a signal ended the load early
	files        []string      // the Collector's output files
	outDir       string        // "" when removed
	loadDuration time.Duration
}

// runFleet runs the fleet of c: builds and starts everything, drives the
// load (with the outage), shuts down in order and reads what the
// Collector received. Progress notes go to progress.
func runFleet(ctx context.Context, c config, progress io.Writer) (*fleetRun, error) {
	rate, err := samplingRate()
	if err != nil {
		return nil, err
	}
	out := c.outDir
	if out == "" {
		if out, err = os.MkdirTemp("", "slogstack-fleet-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(out)
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	bin := c.serviceBin
	if bin == "" {
		fmt.Fprintln(progress, "fleet: building the service")
		if bin, err = buildService(ctx, out); err != nil {
			return nil, err
		}
	}

	f := &fleet{cfg: c, out: out}
	defer f.kill()
	if err := f.startCollector(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "fleet: Collector on %s; starting %d services\n", f.addr, c.services)
	if err := f.startServices(ctx, bin); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "fleet: load for %v at %g requests/s through %s\n", c.load, c.rate, f.procs[0].url)
	run := &fleetRun{cfg: c, rate: rate}
	if err := f.drive(ctx, run); err != nil {
		return nil, err
	}
	fmt.Fprintln(progress, "fleet: shutting down: services from the head, then the Collector")
	if err := f.shutdown(run); err != nil {
		return nil, err
	}
	if run.received, err = readReceived(run.files...); err != nil {
		return nil, err
	}
	if c.outDir != "" {
		run.outDir = out
	}
	return run, nil
}

// samplingRate is the fraction of requests the services keep: their
// LOG_* configuration's rate (this process's environment passes to
// them), 1 with sampling off.
func samplingRate() (float64, error) {
	cfg, err := slogstack.ConfigFromEnv(slogstack.DefaultConfig())
	if err != nil {
		return 0, err
	}
	if !cfg.Sampling {
		return 1, nil
	}
	return min(max(cfg.SamplingPolicy.Rate, 0), 1), nil
}

// fleet is the running fleet: the Collector and the services.
type fleet struct {
	cfg   config
	out   string
	addr  string // the Collector's OTLP/HTTP address
	mu    sync.Mutex
	col   *collector // the running Collector; nil while it is down
	files []string   // the Collector's output files, one per start
	logs  *os.File   // the Collectors' own logs
	procs []*serviceProc
}

// freeLoopbackAddr returns a loopback address with a port free now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startCollector starts a Collector on f.addr (a free port the first
// time) writing to a new file.
func (f *fleet) startCollector(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addr == "" {
		addr, err := freeLoopbackAddr()
		if err != nil {
			return err
		}
		logs, err := os.Create(filepath.Join(f.out, "collector.log"))
		if err != nil {
			return err
		}
		f.addr, f.logs = addr, logs
	}
	path := filepath.Join(f.out, fmt.Sprintf("collector-%d.jsonl", len(f.files)+1))
	col, err := startCollector(ctx, f.addr, path, f.logs)
	if err != nil {
		return fmt.Errorf("starting the Collector on %s: %w", f.addr, err)
	}
	f.col, f.files = col, append(f.files, path)
	return nil
}

// stopCollector stops the running Collector gracefully (it flushes its
// file).
func (f *fleet) stopCollector() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.col == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), collectorStopTimeout)
	defer cancel()
	err := f.col.stop(ctx)
	f.col = nil
	if err != nil {
		return fmt.Errorf("stopping the Collector: %w", err)
	}
	return nil
}

// startServices starts the chain, the last first, each one's downstream
// the next.
func (f *fleet) startServices(ctx context.Context, bin string) error {
	f.procs = make([]*serviceProc, f.cfg.services)
	downstream := ""
	for i := f.cfg.services - 1; i >= 0; i-- {
		p, err := startService(ctx, bin, fmt.Sprintf("service-%d", i), "http://"+f.addr, downstream, f.out)
		if err != nil {
			return err
		}
		f.procs[i], downstream = p, p.url
	}
	return nil
}

// drive runs the load through the head service and, with an outage, stops
// the Collector at the middle of it and starts a new one after the
// outage.
func (f *fleet) drive(ctx context.Context, run *fleetRun) error {
	tr := &http.Transport{MaxIdleConnsPerHost: f.cfg.clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: requestTimeout}
	plan := loadPlan{base: f.procs[0].url, rate: f.cfg.rate, duration: f.cfg.load, clients: f.cfg.clients, steps: f.cfg.steps, failEvery: f.cfg.failEvery, headEvery: f.cfg.headEvery}

	outageErr := make(chan error, 1)
	loadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if f.cfg.outage > 0 {
		go func() { outageErr <- f.outage(loadCtx, run) }()
	} else {
		outageErr <- nil
	}
	start := time.Now()
	run.requests, run.unsent = runLoad(loadCtx, client, plan, newRunID())
	run.loadDuration = time.Since(start)
	cancel()
	run.interrupted = ctx.Err() != nil
	return <-outageErr
}

// outage stops the Collector at the middle of the load, waits the
// outage's length and starts a new one on the same address. The outage's
// window is the time the Collector was down: from its stop's end to its
// restart's beginning (the stop and the start are this process's work,
// not the services').
func (f *fleet) outage(ctx context.Context, run *fleetRun) error {
	select {
	case <-time.After(f.cfg.load / 2):
	case <-ctx.Done():
		return nil
	}
	stopping := time.Now()
	if err := f.stopCollector(); err != nil {
		return err
	}
	down := time.Now()
	select {
	case <-time.After(f.cfg.outage - time.Since(stopping)):
	case <-ctx.Done():
	}
	run.outage, run.stopBegan = &window{start: down, end: time.Now()}, stopping
	// The new Collector starts even when the load has ended, so that the
	// services' exporters can deliver what they hold.
	if err := f.startCollector(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	run.restart = time.Since(run.outage.end)
	return nil
}

// shutdown stops the services from the head, each one waited for (its
// report written), reads their reports, then stops the Collector.
func (f *fleet) shutdown(run *fleetRun) error {
	var errs []error
	for _, p := range f.procs {
		if err := p.terminate(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, f.stopCollector())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range f.procs {
		// A service that died before the shutdown (killed, crashed) wrote
		// no report: the analysis says so instead of the run failing with
		// no report at all.
		r, err := readServiceReport(p.reportPath)
		why := ""
		if err != nil {
			r, why = serviceReport{Service: p.name, Export: &exportStats{}}, err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				why = "wrote no report"
			}
		}
		run.services = append(run.services, r)
		run.exits = append(run.exits, p.exitStatus())
		run.noReports = append(run.noReports, why)
	}
	run.files = f.files
	return nil
}

// kill ends whatever still runs: after a failure.
func (f *fleet) kill() {
	for _, p := range f.procs {
		if p != nil {
			p.kill()
		}
	}
	_ = f.stopCollector()
	if f.logs != nil {
		f.logs.Close()
	}
}
