// Command fleet runs the reference service as a fleet shipping its logs
// through an OpenTelemetry Collector built in-process from the upstream
// modules.
package main

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	_ "github.com/slogstack/slogstack/sampling"
	_ "go.opentelemetry.io/collector/otelcol"
	_ "go.opentelemetry.io/collector/pdata/plog"
	_ "go.opentelemetry.io/collector/processor/batchprocessor"
	_ "go.opentelemetry.io/collector/receiver/otlpreceiver"
	_ "go.opentelemetry.io/collector/confmap/provider/yamlprovider"
)

func main() {}
