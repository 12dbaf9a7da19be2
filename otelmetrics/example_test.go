package otelmetrics_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/otelmetrics"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Register the stack's counters with a meter; any reader or exporter of
// the meter's provider (Prometheus, OTLP) then reports them. Here a
// manual reader collects once and prints one instrument.
func ExampleRegister() {
	stack, err := slogstack.NewStack(io.Discard, slogstack.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())

	reg, err := otelmetrics.Register(provider.Meter("github.com/slogstack/slogstack"), stack)
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Unregister()

	stack.Logger().Info("started")
	stack.Logger().Info("ready")
	if err := stack.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "slogstack.records" {
			fmt.Println(m.Name, m.Unit, m.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
		}
	}
	// Output: slogstack.records {record} 2
}
