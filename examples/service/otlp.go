package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/otlpsink"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
)

// exportStats are the OTLP pipeline's counters.
type exportStats = otlpsink.ExportStats

// exportRetry is how the exporter retries an export the collector refused
// for a while (429, 502, 503, 504, a timeout): from 250ms, doubling up to
// 2s between attempts, for at most 30s in all (ExportTimeout also bounds
// each export); the batch processor's queue, and the stack's async queue
// in front of it, hold the records meanwhile. A refused connection (a
// collector being restarted) is retried by otlpsink itself, within
// ExportTimeout. A permanent refusal (400) is not retried: its records are
// counted as failed.
var exportRetry = otlploghttp.RetryConfig{
	Enabled:         true,
	InitialInterval: 250 * time.Millisecond,
	MaxInterval:     2 * time.Second,
	MaxElapsedTime:  30 * time.Second,
}

// otlpPipeline is the stack with the OTLP pipeline behind it
// (-otlp-endpoint): the OpenTelemetry log bridge, the batch processor and
// the OTLP/HTTP exporter, built by otlpsink.NewStack.
type otlpPipeline struct {
	stack    *otlpsink.Stack
	endpoint string
}

// newOTLPLogging builds cfg's stack in front of the OTLP pipeline to
// endpoint. The resource is resource.Default(): OTEL_SERVICE_NAME names
// the instance and OTEL_RESOURCE_ATTRIBUTES adds to it.
func newOTLPLogging(ctx context.Context, cfg slogstack.Config, endpoint string) (*logging, error) {
	stack, err := otlpsink.NewStack(ctx, cfg, otlpsink.Options{
		Endpoint: endpoint,
		ExporterOptions: []otlploghttp.Option{
			otlploghttp.WithRetry(exportRetry),
		},
	})
	if err != nil {
		return nil, err
	}
	publishStats(stack.Stack, stack)
	callers := &histogram{}
	return &logging{
		cfg:     cfg,
		stack:   stack.Stack,
		logger:  slog.New(&timedHandler{next: stack.Handler(), hist: callers}),
		callers: callers,
		otlp:    &otlpPipeline{stack: stack, endpoint: endpoint},
	}, nil
}

// shutdown drains the stack, then the batch processor, then the exporter,
// within ctx.
func (p *otlpPipeline) shutdown(ctx context.Context) error { return p.stack.Shutdown(ctx) }

func (p *otlpPipeline) stats() exportStats { return p.stack.ExportStats() }

// describe names where the records go, for the report.
func (p *otlpPipeline) describe() string {
	u, err := url.Parse(p.endpoint)
	if err != nil {
		return "OTLP/HTTP to " + p.endpoint
	}
	return "OTLP/HTTP to " + u.JoinPath("v1", "logs").Redacted()
}

// checkOTLPEndpoint refuses an -otlp-endpoint that is not an http or https
// base URL with a host (otlpsink.NewStack checks it again): checked with
// the other flags, before the service listens.
func checkOTLPEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	const want = "want the collector's OTLP/HTTP base URL, http://host:4318 or https://host:4318"
	u, err := url.Parse(endpoint)
	if err != nil {
		// The value is not shown: it may hold a password, which only a
		// URL that parses can hide (url.URL.Redacted).
		return errors.New("-otlp-endpoint: not a URL: " + want)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		shown := endpoint
		if u.User != nil {
			shown = u.Redacted()
		}
		return fmt.Errorf("-otlp-endpoint %q: %s", shown, want)
	}
	return nil
}
