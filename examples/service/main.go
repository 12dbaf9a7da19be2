// Command service is slogstack's reference service: a small payments-style
// HTTP API on net/http with an embedded SQLite database and OpenTelemetry
// tracing, logging through the whole slogstack stack built by
// slogstack.NewStack from the service's defaults and the LOG_* environment
// variables (slogstack.ConfigFromEnv).
//
// Run it as a server:
//
//	go run . -addr 127.0.0.1:8080
//
// or drive it with its own load generator and print a report:
//
//	go run . -load 10s
//
// With -load the log goes to a temporary file, removed at exit (the report
// gives its size); -log FILE keeps it. The first record is the startup
// record, with the effective configuration.
//
// -downstream URL chains instances: /api/v1/work and /api/v1/fail call the
// next one through httpctx.Transport, which passes the correlation ID, the
// trace and a forced-sampling token on, so the chain keeps or drops each
// request together. -admin-addr serves the operator's endpoints on a
// listener of their own (loopback only unless -admin-public): /logging
// (the level and sampling policy, changed at run time), /metrics
// (Prometheus) and /debug/vars. With LOG_FORCE_KEY set, a request carrying
// an X-Log-Force token that -force-token ID minted is logged whole.
//
// -otlp-endpoint URL ships the log over OTLP/HTTP to an OpenTelemetry
// Collector instead (otlpsink.NewStack: the stack in front of the log
// bridge, a batch processor and the OTLP exporter), the instance named by
// OTEL_SERVICE_NAME. -report-json FILE writes the report as JSON at exit.
//
// SIGINT and SIGTERM shut it down gracefully: in-flight requests finish and
// every log record the stack accepted is written before the process exits.
// A second signal ends it at once.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The first signal starts a graceful shutdown; from then on the
		// signals' default action is back, so a second one ends the process
		// at once.
		<-ctx.Done()
		stop()
	}()
	// OpenTelemetry's errors (each failed export, among others) are
	// written once each, and counted: see otelErrors.
	otelErrs := newOTelErrors(os.Stderr)
	otel.SetErrorHandler(otelErrs)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	otelErrs.summary(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	addr            string
	load            time.Duration
	clients         int
	dbPath          string
	logPath         string
	dbConns         int
	shutdownTimeout time.Duration
	downstream      string // base URL of the next instance; "" calls none
	adminAddr       string // address of the admin listener; "" serves none
	adminPublic     bool   // allow an admin address other than loopback
	forceToken      string // correlation ID to mint a forced-sampling token for, then exit
	forceTTL        time.Duration
	otlpEndpoint    string // the Collector's OTLP/HTTP base URL; "" writes the log to -log
	reportJSON      string // file the JSON report is written to at exit; "" writes none
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "`address` to listen on (port 0 picks a free port)")
	fs.DurationVar(&o.load, "load", 0, "drive the service with concurrent loopback clients for this `duration`, then shut down and print a report")
	fs.IntVar(&o.clients, "clients", 8, "`number` of concurrent load clients (with -load)")
	fs.StringVar(&o.dbPath, "db", "", "SQLite database `file` (default: a new file in a temporary directory, removed on exit)")
	fs.StringVar(&o.logPath, "log", "", "log output `file`, \"-\" for standard output (default: standard output; with -load, a temporary file, removed at exit, so the report stays readable)")
	fs.IntVar(&o.dbConns, "db-conns", 4, "maximum open database `connections`")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown may take")
	fs.StringVar(&o.downstream, "downstream", "", "base `URL` of another instance: /api/v1/work and /api/v1/fail call the same path there, passing the correlation ID, trace and sampling decision on")
	fs.StringVar(&o.adminAddr, "admin-addr", "", "`address` of the admin listener (/logging, /metrics, /debug/vars); default: none. Loopback only unless -admin-public")
	fs.BoolVar(&o.adminPublic, "admin-public", false, "allow an -admin-addr that is not a loopback address (the admin endpoints change logging and do not authenticate)")
	fs.StringVar(&o.forceToken, "force-token", "", "print a token for the X-Log-Force header that forces the request of this correlation `ID` to be logged whole (signed with LOG_FORCE_KEY), then exit")
	fs.DurationVar(&o.forceTTL, "force-ttl", 10*time.Minute, "how long a -force-token token is valid (at most 24h)")
	fs.StringVar(&o.otlpEndpoint, "otlp-endpoint", "", "ship the log over OTLP/HTTP to the collector at this base `URL` (http://host:4318 or https://…; records are posted to URL/v1/logs) instead of writing it; not with -log")
	fs.StringVar(&o.reportJSON, "report-json", "", "at exit, after the shutdown, write the report as JSON to this `file` (replaced atomically)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.load < 0 || o.clients < 1 || o.dbConns < 1 || o.shutdownTimeout <= 0 {
		return o, errors.New("-load must not be negative; -clients, -db-conns and -shutdown-timeout must be positive")
	}
	if o.forceTTL <= 0 || o.forceTTL > maxForceTTL {
		return o, fmt.Errorf("-force-ttl %v: must be more than 0 and at most %v", o.forceTTL, maxForceTTL)
	}
	if err := checkDownstream(o.downstream); err != nil {
		return o, err
	}
	if err := checkAdminAddr(o.adminAddr, o.adminPublic); err != nil {
		return o, err
	}
	if err := checkOTLPEndpoint(o.otlpEndpoint); err != nil {
		return o, err
	}
	if o.otlpEndpoint != "" && o.logPath != "" {
		return o, errors.New("-otlp-endpoint and -log: the log goes to one of them; give one")
	}
	if err := checkReportPath(o.reportJSON); err != nil {
		return o, err
	}
	return o, nil
}

// lineCounter counts the records written to the log output: one line each.
type lineCounter struct {
	w     io.Writer
	lines atomic.Uint64
}

func (c *lineCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.lines.Add(uint64(bytes.Count(p[:n], []byte{'\n'})))
	return n, err
}

// run is the whole program; it returns when ctx is done (a signal) or the
// load run is over, after a graceful shutdown. A start that fails (a bad
// flag or LOG_* variable, a busy port, a database that does not open)
// leaves no file behind.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loggingConfigFor(o)
	if err != nil {
		return err
	}
	if o.forceToken != "" {
		return printForceToken(cfg, o.forceToken, o.forceTTL, stdout)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close() // after a start that failed; srv.Shutdown closes it otherwise
	var adminLn net.Listener
	if o.adminAddr != "" {
		if adminLn, err = net.Listen("tcp", o.adminAddr); err != nil {
			return fmt.Errorf("admin listen: %w", err)
		}
		defer adminLn.Close()
	}

	tmpDir, err := os.MkdirTemp("", "slogstack-service-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)

	started := false
	var logs *logging
	if o.otlpEndpoint != "" {
		if logs, err = newOTLPLogging(ctx, cfg, o.otlpEndpoint); err != nil {
			return err
		}
	} else {
		var out *logOutput
		if out, err = openLogOutput(o, stdout); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, out.close(started)) }()
		lines := &lineCounter{w: out.w}
		if logs, err = newLoggingWith(lines, cfg); err != nil {
			return err
		}
		logs.output, logs.lines = out, lines
	}
	log := logs.logger

	tp := newTracerProvider(logs.sampleRate())
	tracer := tp.Tracer("github.com/slogstack/slogstack/examples/service")

	dbPath := o.dbPath
	if dbPath == "" {
		dbPath = filepath.Join(tmpDir, "service.db")
	}
	store, err := OpenStore(ctx, dbPath, o.dbConns, log, tracer)
	if err != nil {
		return errors.Join(err, logs.shutdown(context.Background()))
	}

	next := newDownstream(o.downstream)
	defer next.close()
	api := &API{store: store, log: log, next: next}
	served := &servedCounter{next: traceRequests(tracer, logs.stack.Middleware(api.Routes()))}
	srv := &http.Server{
		Handler:           served,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
	}
	admin, err := startAdmin(adminLn, logs.stack, log, o.adminPublic)
	if err != nil {
		return errors.Join(err, store.Close(), logs.shutdown(context.Background()))
	}
	addr := ln.Addr().String()
	// The effective configuration, whatever the sampling keeps.
	log.Info("service started", "addr", addr, "db", dbPath, "config", cfg, "downstream", o.downstream, "admin", admin.addr())
	started = true
	if adminLn != nil {
		fmt.Fprintf(stderr, "admin on http://%s\n", admin.addr())
	}
	fmt.Fprintf(stderr, "listening on http://%s\n", addr)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	var load *loadResult
	var loadTime time.Duration
	if o.load > 0 {
		start := time.Now()
		load = runLoad(ctx, "http://"+addr, o.clients, o.load)
		loadTime = time.Since(start)
	} else {
		select {
		case <-ctx.Done():
		case err := <-serveErr:
			serveErr <- err
		}
	}

	// Shutdown order: stop taking requests and let in-flight ones finish,
	// end tracing, then close the logging stack (aggregation summaries
	// first, then the async queue, then, with -otlp-endpoint, the batch
	// processor and the exporter), so every accepted record is written.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve: %w", err))
	}
	if err := admin.shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("admin shutdown: %w", err))
	}
	log.Info("service stopped", "addr", addr)
	if err := shutdownTracing(shutdownCtx, tp); err != nil {
		errs = append(errs, fmt.Errorf("tracing shutdown: %w", err))
	}
	if err := store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	if err := logs.shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("logging shutdown: %w", err))
	}

	rep := report{
		load:     load,
		loadTime: loadTime,
		clients:  o.clients,
		served:   served.served.Load(),
		stats:    logs.stats(),
		written:  logs.written(),
		export:   logs.exportStats(),
		callers:  logs.callers,
		output:   logs.describeOutput(),
		stack:    logs.describe(),
		config:   cfg.String(),
	}
	reportOut := stdout
	if load == nil {
		reportOut = stderr
	}
	rep.print(reportOut)
	if o.reportJSON != "" {
		if err := rep.writeJSON(o.reportJSON); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
