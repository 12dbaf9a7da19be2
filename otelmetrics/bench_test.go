package otelmetrics

import (
	"context"
	"net/http"
	"testing"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// BenchmarkCollect measures one collection of every instrument of a stack
// with every layer on, through the SDK's manual reader: the cost a scrape
// adds (the log path pays nothing).
func BenchmarkCollect(b *testing.B) {
	stack, err := slogstack.NewStackWithSink(noopHandler{}, slogstack.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer stack.Shutdown(context.Background())
	stack.Middleware(http.NotFoundHandler()) // the HTTP layer reports from its first use
	reader, provider := newReader(b)
	if _, err := Register(provider.Meter("bench"), stack); err != nil {
		b.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for b.Loop() {
		if err := reader.Collect(context.Background(), &rm); err != nil {
			b.Fatal(err)
		}
	}
}
