package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// defaultBatchTimeout is how long the Collector's batch processor holds
// records before it writes them out (its own default).
const defaultBatchTimeout = 200 * time.Millisecond

// readyPoll is how often startCollector looks whether the Collector's
// pipelines have started.
const readyPoll = 5 * time.Millisecond

// collector is a minimal OpenTelemetry Collector distribution run in this
// process, built from the upstream modules: the OTLP receiver (HTTP only, on
// its address), the batch processor and the file exporter writing OTLP JSON
// lines to its path.
type collector struct {
	addr string
	path string

	col       *otelcol.Collector
	cancelRun context.CancelFunc // ends the context the components shut down with
	done      chan struct{}      // closed when the Collector's Run has returned
	runErr    error              // Run's result, read after done is closed

	stopOnce sync.Once
}

// collectorSettings is what one Collector run is built from.
type collectorSettings struct {
	addr         string    // host:port of the OTLP/HTTP receiver
	path         string    // the file exporter's output file (truncated at start)
	logs         io.Writer // the Collector's own warnings and errors; nil discards them
	batchTimeout time.Duration
}

// startCollector starts a Collector whose OTLP/HTTP receiver listens on addr
// and whose file exporter writes to path (created or truncated), and returns
// once the receiver accepts connections. The Collector's own logs (warnings
// and errors only) go to logs, or nowhere when logs is nil; it serves no
// metrics of its own and does not react to SIGINT or SIGTERM, so several can
// run in one process, one after another or at the same time. (On SIGHUP it
// restarts its pipeline, as every Collector does; the file keeps what was
// written before.) ctx bounds the start only: when it is done before the
// Collector is ready, the Collector is shut down and the error says so. A
// busy addr is an error naming it.
func startCollector(ctx context.Context, addr, path string, logs io.Writer) (*collector, error) {
	return startCollectorWith(ctx, collectorSettings{addr: addr, path: path, logs: logs, batchTimeout: defaultBatchTimeout})
}

func startCollectorWith(ctx context.Context, set collectorSettings) (*collector, error) {
	if set.addr == "" || set.path == "" {
		return nil, fmt.Errorf("collector: need an address and a file path (got %q and %q)", set.addr, set.path)
	}
	if err := truncate(set.path); err != nil {
		return nil, fmt.Errorf("collector on %s: %w", set.addr, err)
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		Factories: collectorFactories,
		BuildInfo: component.BuildInfo{
			Command:     "fleet-collector",
			Description: "the fleet's in-process OpenTelemetry Collector",
			Version:     "v0.161.0",
		},
		DisableGracefulShutdown: true,
		SkipSettingGRPCLogger:   true,
		LoggingOptions:          []zap.Option{zap.WrapCore(warningsTo(set.logs))},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"yaml:" + collectorConfig(set)},
				ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("collector on %s: %w", set.addr, err)
	}
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	c := &collector{addr: set.addr, path: set.path, col: col, cancelRun: cancelRun, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer cancelRun()
		c.runErr = col.Run(runCtx)
	}()
	if err := c.waitReady(ctx); err != nil {
		startErr := fmt.Errorf("collector on %s: start: %w", set.addr, err)
		select {
		case <-c.done: // Run failed: nothing is left running
			return nil, startErr
		default: // ctx ended the wait: shut down what has started
			return nil, errors.Join(startErr, c.stop(context.WithoutCancel(ctx)))
		}
	}
	return c, nil
}

// waitReady returns once the Collector runs and its receiver accepts a
// connection, or the error that ended its Run, or ctx's error.
func (c *collector) waitReady(ctx context.Context) error {
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for c.col.GetState() != otelcol.StateRunning {
		select {
		case <-c.done:
			if c.runErr != nil {
				return c.runErr
			}
			return errors.New("stopped before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("receiver does not accept connections: %w", err)
	}
	return conn.Close()
}

// stop shuts the Collector down gracefully: the receiver stops accepting and
// answers the requests it is serving, the batch processor writes what it
// holds to the file exporter, and the file is flushed and closed. It returns
// when that is done, or when ctx is done: then the components still shutting
// down see ctx's end and stop returns ctx's error (what they had not written
// by then is lost). Only the first call stops; later calls wait the same way
// and return the same result.
func (c *collector) stop(ctx context.Context) error {
	c.stopOnce.Do(func() { go c.col.Shutdown() })
	select {
	case <-c.done:
		if c.runErr != nil {
			return fmt.Errorf("collector on %s: stop: %w", c.addr, c.runErr)
		}
		return nil
	case <-ctx.Done():
		go c.interruptShutdown()
		return fmt.Errorf("collector on %s: stop: %w", c.addr, ctx.Err())
	}
}

// interruptShutdown ends the context the components are shutting down with.
// It first waits until the Collector has taken the shutdown request (its
// state is Closing): ending that context earlier would make it shut down
// with no deadline at all instead.
func (c *collector) interruptShutdown() {
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for c.col.GetState() < otelcol.StateClosing {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
	}
	c.cancelRun()
}

// collectorFactories lists the components of this distribution.
func collectorFactories() (otelcol.Factories, error) {
	receivers, err := otelcol.MakeFactoryMap(otlpreceiver.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	processors, err := otelcol.MakeFactoryMap(batchprocessor.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	exporters, err := otelcol.MakeFactoryMap(fileexporter.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	return otelcol.Factories{
		Receivers:  receivers,
		Processors: processors,
		Exporters:  exporters,
		Telemetry:  otelconftelemetry.NewFactory(),
	}, nil
}

// collectorConfig is the Collector's configuration in YAML: one logs
// pipeline, OTLP/HTTP in, batched, OTLP JSON lines out (no rotation: one
// file per run), appended to the file startCollector truncated, so that
// when the Collector restarts its pipeline (it does on SIGHUP, which it
// always listens to) what it wrote before stays; its own telemetry logs
// warnings only, unsampled, and has no metrics (so no listener of its own).
func collectorConfig(set collectorSettings) string {
	return strings.Join([]string{
		"receivers:",
		"  otlp:",
		"    protocols:",
		"      http:",
		"        endpoint: " + yamlString(set.addr),
		"processors:",
		"  batch:",
		"    timeout: " + set.batchTimeout.String(),
		"exporters:",
		"  file:",
		"    path: " + yamlString(set.path),
		"    format: json",
		"    append: true",
		"service:",
		"  telemetry:",
		"    logs:",
		"      level: warn",
		"      sampling:",
		"        enabled: false",
		"    metrics:",
		"      level: none",
		"  pipelines:",
		"    logs:",
		"      receivers: [otlp]",
		"      processors: [batch]",
		"      exporters: [file]",
		"",
	}, "\n")
}

// truncate creates the file at path, or empties it, with the permissions
// the file exporter gives its files.
func truncate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// yamlString quotes s as a YAML scalar taken literally: double-quoted (Go's
// quoting is valid YAML), with "$" doubled so that the configuration
// resolver does not expand it.
func yamlString(s string) string {
	return strconv.Quote(strings.ReplaceAll(s, "$", "$$"))
}

// warningsTo returns a zap core replacement writing warnings and errors to w
// (serialised), or discarding everything when w is nil.
func warningsTo(w io.Writer) func(zapcore.Core) zapcore.Core {
	return func(zapcore.Core) zapcore.Core {
		if w == nil {
			return zapcore.NewNopCore()
		}
		enc := zap.NewProductionEncoderConfig()
		enc.EncodeTime = zapcore.ISO8601TimeEncoder
		return zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), zapcore.WarnLevel)
	}
}
