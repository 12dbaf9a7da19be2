package otelmetrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Register creates the stack's instruments on meter and registers one
// callback that reports them: at each collection it reads stack.Stats()
// once and observes every instrument from that one snapshot, so the data
// points of one collection are as consistent as one Stats call. A layer
// the stack's Config switches off (and HTTP until Stack.Middleware is
// first called) reports no data points. The instruments and their
// attributes are listed in the package documentation.
//
// Register reads nothing on the log path: its cost is one Stats call per
// collection. Call Unregister on the returned Registration to stop
// reporting (the instruments stay, without data points); reporting after
// Stack.Shutdown is safe and shows the final counts.
//
// One meter reports one stack: the SDK adds the observations of two
// callbacks for one data point, so a second Register on a meter that
// reports a stack (the same stack or another) is refused until the first
// Registration's Unregister (a meter that is not a pointer, such as
// noop.Meter, is not checked). For several stacks in one process, give each
// its own meter: another instrumentation scope name, or the same name
// with metric.WithInstrumentationAttributes (for example
// attribute.String("stack", "api")), which the exporters show as labels.
//
// It returns an error, and no Registration, when meter or stack is nil,
// when meter already reports a stack, or when meter refuses an instrument
// or the callback.
func Register(meter metric.Meter, stack *slogstack.Stack) (metric.Registration, error) {
	if meter == nil {
		return nil, errors.New("otelmetrics: Register: nil metric.Meter")
	}
	if stack == nil {
		return nil, errors.New("otelmetrics: Register: nil *slogstack.Stack")
	}
	return register(meter, stack.Stats)
}

// register is Register with the Stats read by stats.
func register(meter metric.Meter, stats func() slogstack.Stats) (reg metric.Registration, err error) {
	if err := claim(meter); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			release(meter)
		}
	}()
	specs := instruments()
	observables := make([]metric.Int64Observable, len(specs))
	registered := make([]metric.Observable, len(specs))
	for i, spec := range specs {
		obs, err := create(meter, spec)
		if err != nil {
			return nil, fmt.Errorf("otelmetrics: Register: instrument %s: %w", spec.name, err)
		}
		observables[i], registered[i] = obs, obs
	}
	cb, err := meter.RegisterCallback(callback(stats, specs, observables), registered...)
	if err != nil {
		return nil, fmt.Errorf("otelmetrics: Register: callback: %w", err)
	}
	return &registration{Registration: cb, meter: meter}, nil
}

// instruments are all the instruments of a stack, layer by layer in the
// order of Stats.
func instruments() []instrument {
	all := []instrument{{
		name: "slogstack.records", unit: "{record}", kind: counter,
		description: "Records handed to the stack (records at a level it refuses are not counted).",
		points: []point{{attrs: attribute.NewSet(), read: func(s *slogstack.Stats) (int64, bool) {
			return u(s.Records), true
		}}},
	}}
	for _, layer := range [][]instrument{
		httpInstruments(), samplingInstruments(), scopeInstruments(),
		aggregationInstruments(), redactInstruments(), asyncInstruments(),
	} {
		all = append(all, layer...)
	}
	return all
}

// create makes the observable instrument spec describes.
func create(meter metric.Meter, spec instrument) (metric.Int64Observable, error) {
	desc, unit := metric.WithDescription(spec.description), metric.WithUnit(spec.unit)
	switch spec.kind {
	case upDownCounter:
		return meter.Int64ObservableUpDownCounter(spec.name, desc, unit)
	case gauge:
		return meter.Int64ObservableGauge(spec.name, desc, unit)
	default:
		return meter.Int64ObservableCounter(spec.name, desc, unit)
	}
}

// callback observes every point of specs from one snapshot of stats.
func callback(stats func() slogstack.Stats, specs []instrument, observables []metric.Int64Observable) metric.Callback {
	options := make([][]metric.ObserveOption, len(specs))
	for i, spec := range specs {
		options[i] = make([]metric.ObserveOption, len(spec.points))
		for j, p := range spec.points {
			options[i][j] = metric.WithAttributeSet(p.attrs)
		}
	}
	return func(_ context.Context, o metric.Observer) error {
		st := stats()
		for i, spec := range specs {
			for j, p := range spec.points {
				if v, ok := p.read(&st); ok {
					o.ObserveInt64(observables[i], v, options[i][j])
				}
			}
		}
		return nil
	}
}
