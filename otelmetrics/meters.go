package otelmetrics

import (
	"errors"
	"reflect"
	"sync"

	"go.opentelemetry.io/otel/metric"
)

// errMeterTaken is Register's error for a meter that already reports a
// stack.
var errMeterTaken = errors.New("otelmetrics: Register: the meter already reports a stack (use one meter per stack: another instrumentation scope name or attributes)")

// reporting holds the meters that report a stack now. Two callbacks
// observing one instrument's data point are added together by the SDK,
// so a second Register on a meter would report every counter twice.
var reporting = struct {
	sync.Mutex
	meters map[metric.Meter]bool
}{meters: map[metric.Meter]bool{}}

// tracked reports whether claim tracks meter: only pointers are (the
// SDK's and the global provider's meters are), since another value may
// hold parts that cannot be compared, and two equal values need not be
// one meter.
func tracked(meter metric.Meter) bool {
	return reflect.ValueOf(meter).Kind() == reflect.Pointer
}

// claim marks meter as reporting a stack, or returns errMeterTaken.
func claim(meter metric.Meter) error {
	if !tracked(meter) {
		return nil
	}
	reporting.Lock()
	defer reporting.Unlock()
	if reporting.meters[meter] {
		return errMeterTaken
	}
	reporting.meters[meter] = true
	return nil
}

// release undoes claim.
func release(meter metric.Meter) {
	if !tracked(meter) {
		return
	}
	reporting.Lock()
	delete(reporting.meters, meter)
	reporting.Unlock()
}

// registration is the callback's Registration, releasing its meter once
// Unregister succeeds.
type registration struct {
	metric.Registration
	meter metric.Meter
	once  sync.Once
}

// Unregister stops the reporting; the meter may then report a stack again.
func (r *registration) Unregister() error {
	if err := r.Registration.Unregister(); err != nil {
		return err
	}
	r.once.Do(func() { release(r.meter) })
	return nil
}
