package otelmetrics

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// expected is what a collection must hold for st: the value of every
// field of reported whose layer is present.
func expected(st *slogstack.Stats) map[series]int64 {
	want := map[series]int64{}
	for _, r := range reported {
		if v, ok := fieldValue(st, r.field); ok {
			want[r.series] = v
		}
	}
	return want
}

func TestEveryStatsFieldIsReported(t *testing.T) {
	byField := map[string]bool{}
	for _, r := range reported {
		byField[r.field] = true
	}
	for field := range summed {
		byField[field] = true
	}
	paths := leafPaths()
	for _, path := range paths {
		if !byField[path] {
			t.Errorf("Stats field %s is reported by no instrument", path)
		}
	}
	for field := range byField {
		if !slices.Contains(paths, field) {
			t.Errorf("the table names %s, which is not a Stats field", field)
		}
	}
}

func TestEveryPointEqualsItsStatsField(t *testing.T) {
	var st slogstack.Stats
	setDistinct(&st)
	reader, provider := newReader(t)
	if _, err := register(provider.Meter("test"), func() slogstack.Stats { return st }); err != nil {
		t.Fatal(err)
	}
	got := collect(t, reader)
	if diff := cmp.Diff(expected(&st), got.values); diff != "" {
		t.Errorf("data points (-want +got):\n%s", diff)
	}
	for name, kind := range got.kinds {
		wantKind := kinds[name]
		if wantKind == "" {
			wantKind = "counter"
		}
		if kind != wantKind {
			t.Errorf("%s is a %s, want a %s", name, kind, wantKind)
		}
		unit := got.units[name]
		wantBytes := strings.HasSuffix(name, ".size")
		if wantBytes && unit != "By" || !wantBytes && !(strings.HasPrefix(unit, "{") && strings.HasSuffix(unit, "}")) {
			t.Errorf("%s has unit %q", name, unit)
		}
		if !strings.HasPrefix(name, "slogstack.") {
			t.Errorf("%s is not in the slogstack namespace", name)
		}
	}
}

func TestAbsentLayersReportNothing(t *testing.T) {
	st := slogstack.Stats{Records: 7}
	reader, provider := newReader(t)
	if _, err := register(provider.Meter("test"), func() slogstack.Stats { return st }); err != nil {
		t.Fatal(err)
	}
	want := map[series]int64{{"slogstack.records", ""}: 7}
	if diff := cmp.Diff(want, collect(t, reader).values); diff != "" {
		t.Errorf("data points (-want +got):\n%s", diff)
	}
}

func TestUnregisterStopsReporting(t *testing.T) {
	st := slogstack.Stats{Records: 3}
	reader, provider := newReader(t)
	reg, err := register(provider.Meter("test"), func() slogstack.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	if got := len(collect(t, reader).values); got != 1 {
		t.Fatalf("before Unregister: %d points, want 1", got)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, reader).values; len(got) != 0 {
		t.Errorf("after Unregister: %v, want no points", got)
	}
}

// failingMeter refuses the instrument named fail, or the callback when
// fail is "callback".
type failingMeter struct {
	noop.Meter
	fail string
}

var errRefused = errors.New("refused")

func (m failingMeter) Int64ObservableCounter(name string, opts ...metric.Int64ObservableCounterOption) (metric.Int64ObservableCounter, error) {
	if name == m.fail {
		return nil, errRefused
	}
	return m.Meter.Int64ObservableCounter(name, opts...)
}

func (m failingMeter) Int64ObservableGauge(name string, opts ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	if name == m.fail {
		return nil, errRefused
	}
	return m.Meter.Int64ObservableGauge(name, opts...)
}

func (m failingMeter) RegisterCallback(f metric.Callback, obs ...metric.Observable) (metric.Registration, error) {
	if m.fail == "callback" {
		return nil, errRefused
	}
	return m.Meter.RegisterCallback(f, obs...)
}

func TestRegisterErrors(t *testing.T) {
	stack, err := slogstack.NewStackWithSink(noopHandler{}, slogstack.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, stack) })
	tests := []struct {
		name  string
		meter metric.Meter
		stack *slogstack.Stack
		want  string
	}{
		{"nil meter", nil, stack, "otelmetrics: Register: nil metric.Meter"},
		{"nil stack", noop.Meter{}, nil, "otelmetrics: Register: nil *slogstack.Stack"},
		{"counter refused", failingMeter{fail: "slogstack.records"}, stack, "otelmetrics: Register: instrument slogstack.records: refused"},
		{"gauge refused", failingMeter{fail: "slogstack.async.queue.high_water"}, stack, "otelmetrics: Register: instrument slogstack.async.queue.high_water: refused"},
		{"callback refused", failingMeter{fail: "callback"}, stack, "otelmetrics: Register: callback: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := Register(tt.meter, tt.stack)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Register: %v, want %q", err, tt.want)
			}
			if reg != nil {
				t.Errorf("Register returned a Registration with its error")
			}
		})
	}
}

// TestOneStackPerMeter: a second Register on a meter that reports a stack
// (the same stack again, or another) is refused, since the SDK adds the
// observations of two callbacks for one data point: every counter would
// report twice its Stats field. After Unregister the meter takes a stack
// again; a meter of another scope (or the same name with other
// instrumentation attributes) is another meter and reports its own stack.
func TestOneStackPerMeter(t *testing.T) {
	stats := func(n uint64) func() slogstack.Stats {
		return func() slogstack.Stats { return slogstack.Stats{Records: n} }
	}
	reader, provider := newReader(t)
	meter := provider.Meter("test")
	first, err := register(meter, stats(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, again := range []metric.Meter{meter, provider.Meter("test")} {
		reg, err := register(again, stats(3))
		const want = "otelmetrics: Register: the meter already reports a stack (use one meter per stack: another instrumentation scope name or attributes)"
		if err == nil || err.Error() != want || reg != nil {
			t.Fatalf("second Register on one meter: %v, %v; want no registration and %q", reg, err, want)
		}
	}
	want := map[series]int64{{"slogstack.records", ""}: 3}
	if diff := cmp.Diff(want, collect(t, reader).values); diff != "" {
		t.Errorf("data points after the refused Registers (-want +got):\n%s", diff)
	}
	other, err := register(provider.Meter("test", metric.WithInstrumentationAttributes(attribute.String("stack", "b"))), stats(5))
	if err != nil {
		t.Fatalf("Register on a meter with other scope attributes: %v", err)
	}
	if err := first.Unregister(); err != nil {
		t.Fatal(err)
	}
	again, err := register(meter, stats(7))
	if err != nil {
		t.Fatalf("Register after Unregister: %v", err)
	}
	if err := again.Unregister(); err != nil {
		t.Fatal(err)
	}
	if err := other.Unregister(); err != nil {
		t.Fatal(err)
	}
}

// valueMeter is a meter whose dynamic value cannot be a map key.
type valueMeter struct {
	noop.Meter
	tags any
}

// TestRegisterValueMeter: a meter that is not a pointer is not tracked
// (it may hold values that cannot be compared): Register does not panic.
func TestRegisterValueMeter(t *testing.T) {
	meter := valueMeter{tags: []string{"a"}}
	for range 2 {
		reg, err := register(meter, func() slogstack.Stats { return slogstack.Stats{} })
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Unregister(); err != nil {
			t.Fatal(err)
		}
	}
}
