package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/slogstack/slogstack"
)

// exportStats are the OTLP pipeline's counters (otlpsink.ExportStats).
type exportStats struct {
	Handed, Exported, Failed, Dropped, Abandoned, Pending uint64
	Exports, FailedExports                                uint64
	LastError                                             string
}

type otlpPipeline struct{ endpoint string }

func (p *otlpPipeline) shutdown(ctx context.Context) error { return nil }
func (p *otlpPipeline) stats() exportStats                 { return exportStats{} }
func (p *otlpPipeline) describe() string                   { return "OTLP/HTTP to " + p.endpoint + "/v1/logs" }

func newOTLPLogging(ctx context.Context, cfg slogstack.Config, endpoint string) (*logging, error) {
	return nil, errors.New("-otlp-endpoint: the OTLP pipeline is not wired in yet")
}

// checkOTLPEndpoint refuses an -otlp-endpoint that is not an http or https
// base URL with a host: the exporter posts to it + "/v1/logs".
func checkOTLPEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("-otlp-endpoint %q: want the collector's OTLP/HTTP base URL, http://host:4318 or https://host:4318", endpoint)
	}
	return nil
}
