// Command fleet runs the reference service (examples/service) as a fleet
// shipping its logs through an OpenTelemetry Collector built in this
// process from the upstream modules (the OTLP receiver, the batch
// processor and the file exporter), drives load through it and prints a
// report of where every record went.
//
// From the repository root:
//
//	go run ./examples/fleet -load 10s
//	go run ./examples/fleet -load 10s -outage 2s
//
// It builds the service, starts the Collector on a free loopback port,
// starts -services instances of the service as processes chained with
// -downstream (each exporting over OTLP/HTTP to the Collector, named
// service-0, service-1, … through OTEL_SERVICE_NAME), sends -rate
// requests a second to the first one for -load, each with a fresh
// X-Correlation-ID: every -fail-every-th (default 20th) is /api/v1/fail;
// every -head-every-th (default 4th; 0 for none) that is not one of those
// is a batch lookup of 20 users, GET /api/v1/users?ids=…, that the first
// service serves alone (by default 20% of the requests, 5% fail); the
// rest are /api/v1/work. Work and fail call the whole chain and log
// business records, which the sampling keeps or drops by request and the
// aggregation never folds; a lookup's data layer logs the connection pool
// at DEBUG for every user it reads, records the aggregation folds, as a
// real service's traffic gives it. It then shuts everything down in
// order: the load, the services from the head (each writes its report as
// JSON), the Collector (which flushes its file). The LOG_* variables of
// its environment pass to the services.
//
// With -outage D the Collector is stopped at the middle of the load and a
// new one started on the same address D later: the report compares the
// callers' p99 latency during the outage with windows of the same length
// before it (the median of three when the load before the stop holds
// three, else the one just before it), and says which records were lost
// where.
//
// The report checks that every request's records are all in every
// service it reaches or in none (a lookup's in the first service only),
// that the requests kept are those the sampling rate decides, and that every record a service handed to its exporter reached
// the Collector or is counted lost. Its last line is the verdict: "fleet:
// ok", or what failed, and the exit status is 1 on failure. SIGINT or
// SIGTERM ends the load early; the fleet then shuts down in order and
// reports as usual (the verdict says it was interrupted).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal ends the load early and shuts the fleet down in
		// order; from then on a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	ok, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	services   int           // instances in the chain
	load       time.Duration // how long the load runs
	outage     time.Duration // how long the Collector is down at the middle of the load; 0: no outage
	clients    int           // concurrent requests at most
	rate       float64       // requests a second
	steps      int           // n of each request: "work step" records per service
	failEvery  int           // every failEvery-th request is /api/v1/fail
	headEvery  int           // of the others, every headEvery-th is a lookup the head serves alone; 0: none
	serviceBin string        // the service's binary; "": build it
	outDir     string        // where the Collector's files, the services' reports and diagnostics go; "": a temporary directory
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.services, "services", 3, "`number` of service instances, chained with -downstream")
	fs.DurationVar(&c.load, "load", 10*time.Second, "how long the load runs")
	fs.DurationVar(&c.outage, "outage", 0, "stop the Collector at the middle of the load for this `duration`, then start a new one on the same address (0: no outage)")
	fs.IntVar(&c.clients, "clients", 16, "`number` of concurrent requests at most")
	fs.Float64Var(&c.rate, "rate", 100, "requests a `second`, paced")
	fs.IntVar(&c.steps, "steps", 3, "\"work step\" records each request logs in each service")
	fs.IntVar(&c.failEvery, "fail-every", 20, "every `k`-th request is /api/v1/fail (it fails in every service); the others are /api/v1/work or, with -head-every, lookups")
	fs.IntVar(&c.headEvery, "head-every", 4, "every `k`-th request, unless it is a /api/v1/fail one, is a batch lookup of 20 users (/api/v1/users?ids=…) that only the first service serves, and whose connection pool records the aggregation folds (0: none)")
	fs.StringVar(&c.serviceBin, "service-bin", "", "the service's binary (default: built from examples/service, found above the working directory)")
	fs.StringVar(&c.outDir, "out", "", "`directory` to keep the Collector's output, the services' JSON reports and their standard error in (default: a temporary directory, removed at exit)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var errs []error
	if c.services < 1 {
		errs = append(errs, fmt.Errorf("-services %d: must be at least 1", c.services))
	}
	if c.load <= 0 {
		errs = append(errs, fmt.Errorf("-load %v: must be positive", c.load))
	}
	if c.outage < 0 || (c.outage > 0 && c.outage >= c.load/2) {
		errs = append(errs, fmt.Errorf("-outage %v: must be 0 or less than half of -load (%v), so that the same length of load precedes it", c.outage, c.load))
	}
	if c.clients < 1 {
		errs = append(errs, fmt.Errorf("-clients %d: must be at least 1", c.clients))
	}
	if !(c.rate > 0) || c.rate > 100000 {
		errs = append(errs, fmt.Errorf("-rate %v: must be more than 0 and at most 100000", c.rate))
	}
	if c.steps < 0 || c.steps > 1000 {
		errs = append(errs, fmt.Errorf("-steps %d: must be from 0 to 1000", c.steps))
	}
	if c.failEvery < 1 {
		errs = append(errs, fmt.Errorf("-fail-every %d: must be at least 1", c.failEvery))
	}
	if c.headEvery < 0 {
		errs = append(errs, fmt.Errorf("-head-every %d: must be 0 (no lookups) or more", c.headEvery))
	}
	return c, errors.Join(errs...)
}

// run is the whole program: it runs the fleet, prints the report to
// stdout and reports whether the verdict is ok. An error is a fleet that
// could not run (a bad flag, a build or a start that failed).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return false, err
	}
	res, err := runFleet(ctx, c, stderr)
	if err != nil {
		return false, err
	}
	rep := analyze(res)
	rep.print(stdout)
	return rep.ok(), nil
}
