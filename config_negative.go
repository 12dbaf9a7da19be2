package slogstack

import (
	"fmt"
	"math"
	"reflect"

	"github.com/slogstack/slogstack/sampling"
)

// appendNegativeErrors appends an error for every exported number field of
// the options struct opts (in nested structs too) that is negative or NaN:
// counts, sizes, durations and rates of the wrappers, none of which gives
// a negative number a meaning. prefix is the Config field that holds opts.
// It reads the fields by reflection so that a field added to a wrapper's
// options is checked without a change here.
func appendNegativeErrors(errs []error, prefix string, opts any) []error {
	return appendNegativeFields(errs, prefix, reflect.ValueOf(opts))
}

func appendNegativeFields(errs []error, prefix string, v reflect.Value) []error {
	if v.Kind() != reflect.Struct {
		return errs
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, fv := prefix+"."+f.Name, v.Field(i)
		switch fv.Kind() {
		case reflect.Struct:
			if fv.Type() == reflect.TypeFor[sampling.Policy]() {
				continue // the stack's policy is checked on its own
			}
			errs = appendNegativeFields(errs, name, fv)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if fv.Int() < 0 {
				errs = append(errs, fmt.Errorf("slogstack: %s is %v; it must not be negative", name, fv.Interface()))
			}
		case reflect.Float32, reflect.Float64:
			if x := fv.Float(); x < 0 || math.IsNaN(x) {
				errs = append(errs, fmt.Errorf("slogstack: %s is %v; it must be a number, not negative", name, fv.Interface()))
			}
		}
	}
	return errs
}
