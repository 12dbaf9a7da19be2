package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/otelmetrics"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// metrics reports the stack's counters through the OpenTelemetry metrics
// API (otelmetrics.Register) to a Prometheus exporter, whose registry its
// handler serves in the Prometheus text format.
type metrics struct {
	provider *sdkmetric.MeterProvider
	reg      metric.Registration
	handler  http.Handler
}

// newMetrics registers the stack's instruments with a meter provider whose
// reader is a Prometheus exporter over a registry of its own (the default
// registry would refuse a second service built in the same process, as the
// tests do). A real deployment adds its other readers (an OTLP exporter) to
// the same provider.
func newMetrics(stack *slogstack.Stack) (*metrics, error) {
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return nil, err
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	reg, err := otelmetrics.Register(provider.Meter("github.com/slogstack/slogstack/examples/service"), stack)
	if err != nil {
		return nil, errors.Join(err, provider.Shutdown(context.Background()))
	}
	return &metrics{
		provider: provider,
		reg:      reg,
		handler:  promhttp.HandlerFor(registry, promhttp.HandlerOpts{}),
	}, nil
}

// shutdown unregisters the instruments and stops the provider.
func (m *metrics) shutdown(ctx context.Context) error {
	return errors.Join(m.reg.Unregister(), m.provider.Shutdown(ctx))
}
