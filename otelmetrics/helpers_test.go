package otelmetrics

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// series names one data point: an instrument and its attributes written
// "k=v,k=v" in key order ("" for none).
type series struct{ name, attrs string }

func (s series) String() string { return s.name + "{" + s.attrs + "}" }

// collected is one collection: the value of every data point, and the
// kind and unit of every instrument.
type collected struct {
	values map[series]int64
	kinds  map[string]string // instrument -> "counter", "updowncounter" or "gauge"
	units  map[string]string
}

// sum is the sum of the data points of the instrument name.
func (c collected) sum(name string) int64 {
	var total int64
	for s, v := range c.values {
		if s.name == name {
			total += v
		}
	}
	return total
}

// collect reads reader once, failing t on an error.
func collect(t *testing.T, reader *sdkmetric.ManualReader) collected {
	t.Helper()
	c, err := read(reader)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// read reads reader once.
func read(reader *sdkmetric.ManualReader) (collected, error) {
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		return collected{}, fmt.Errorf("Collect: %w", err)
	}
	c := collected{values: map[series]int64{}, kinds: map[string]string{}, units: map[string]string{}}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			c.units[m.Name] = m.Unit
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				c.kinds[m.Name] = map[bool]string{true: "counter", false: "updowncounter"}[d.IsMonotonic]
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				c.kinds[m.Name] = "gauge"
				points = d.DataPoints
			default:
				return collected{}, fmt.Errorf("instrument %s: unexpected data %T", m.Name, m.Data)
			}
			for _, p := range points {
				key := series{m.Name, attrString(p.Attributes)}
				if _, dup := c.values[key]; dup {
					return collected{}, fmt.Errorf("data point %v reported twice", key)
				}
				c.values[key] = p.Value
			}
		}
	}
	return c, nil
}

// attrString writes set as "k=v,k=v" in key order.
func attrString(set attribute.Set) string {
	var parts []string
	for _, kv := range set.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// newReader returns a manual reader and a meter of a provider reading
// through it, shut down at the end of the test.
func newReader(t testing.TB) (*sdkmetric.ManualReader, *sdkmetric.MeterProvider) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		if err := provider.Shutdown(context.Background()); err != nil {
			t.Errorf("provider Shutdown: %v", err)
		}
	})
	return reader, provider
}

// leafPaths are the paths ("Sampling.RequestsSampled.Rate") of every
// numeric field of Stats, through its layer pointers and nested structs.
func leafPaths() []string {
	var paths []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for f := range t.Fields() {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				walk(ft, prefix+f.Name+".")
			case reflect.Uint64, reflect.Int64, reflect.Int:
				paths = append(paths, prefix+f.Name)
			default:
				panic(fmt.Sprintf("Stats field %s%s has kind %s: teach the test about it", prefix, f.Name, ft.Kind()))
			}
		}
	}
	walk(reflect.TypeFor[slogstack.Stats](), "")
	return paths
}

// fieldValue reads the field at path in st; ok is false when a layer on
// the way is nil.
func fieldValue(st *slogstack.Stats, path string) (v int64, ok bool) {
	rv := reflect.ValueOf(st).Elem()
	for name := range strings.SplitSeq(path, ".") {
		if rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return 0, false
			}
			rv = rv.Elem()
		}
		rv = rv.FieldByName(name)
		if !rv.IsValid() {
			panic("no Stats field " + path)
		}
	}
	switch rv.Kind() {
	case reflect.Uint64:
		return int64(rv.Uint()), true
	default:
		return rv.Int(), true
	}
}

// setDistinct sets every numeric field of st, its layers allocated, to a
// distinct value (1, 2, 3, ... in the order of leafPaths), so that a data
// point reporting the wrong field cannot equal the right one.
func setDistinct(st *slogstack.Stats) {
	for i, path := range leafPaths() {
		rv := reflect.ValueOf(st).Elem()
		for name := range strings.SplitSeq(path, ".") {
			if rv.Kind() == reflect.Pointer {
				if rv.IsNil() {
					rv.Set(reflect.New(rv.Type().Elem()))
				}
				rv = rv.Elem()
			}
			rv = rv.FieldByName(name)
		}
		if rv.Kind() == reflect.Uint64 {
			rv.SetUint(uint64(i + 1))
		} else {
			rv.SetInt(int64(i + 1))
		}
	}
}
