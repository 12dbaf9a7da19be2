package otelmetrics

import (
	"math"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/attribute"
)

// kind is the kind of observable instrument a series is reported with.
type kind int

const (
	// counter is a monotonic sum (Int64ObservableCounter): the Stats
	// field only grows.
	counter kind = iota
	// upDownCounter is a non-monotonic sum (Int64ObservableUpDownCounter):
	// a count of things present now, such as queued records.
	upDownCounter
	// gauge is a value that is not a sum (Int64ObservableGauge): a
	// high-water mark.
	gauge
)

// instrument describes one observable instrument and the data points it
// reports: each point reads one Stats field.
type instrument struct {
	name, unit, description string
	kind                    kind
	points                  []point
}

// point is one data point of an instrument: the attributes that tell it
// from the instrument's other points, and the Stats field it reports.
// read returns false when the field's layer is not in the Stats (switched
// off, or HTTP before the first Stack.Middleware call): no point is
// reported then.
type point struct {
	attrs attribute.Set
	read  func(*slogstack.Stats) (int64, bool)
}

// attrs is the attribute set of a point with one attribute.
func attrs(key, value string) attribute.Set {
	return attribute.NewSet(attribute.String(key, value))
}

// layerPoint is a point reading a field of one layer's Stats; layer
// returns nil when the layer is absent.
func layerPoint[L any](layer func(*slogstack.Stats) *L, set attribute.Set, field func(*L) int64) point {
	return point{attrs: set, read: func(s *slogstack.Stats) (int64, bool) {
		l := layer(s)
		if l == nil {
			return 0, false
		}
		return field(l), true
	}}
}

// u converts a counter to the int64 OpenTelemetry observes, saturating at
// math.MaxInt64 (a counter never reaches it in practice).
func u(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
