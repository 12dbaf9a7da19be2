// Package otlpsink ships a slogstack stack's records over OTLP/HTTP: the
// stack in front of the OpenTelemetry log bridge (otelslog), the SDK's
// batch processor and the OTLP/HTTP log exporter, built in one call, with
// every record counted from the stack to the Collector and one ordered
// shutdown.
package otlpsink

import (
	_ "github.com/slogstack/slogstack"
	_ "go.opentelemetry.io/contrib/bridges/otelslog"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	_ "go.opentelemetry.io/otel/sdk/log"
	_ "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	_ "github.com/google/go-cmp/cmp"
)
