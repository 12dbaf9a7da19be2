package snapshot

import (
	"reflect"
	"time"
)

// isImmutable reports whether x, held as a value of kind Any, is a value
// whose content the caller cannot change after logging it. Errors count as
// immutable: by convention an error does not change once returned, and
// sinks read its chain (errors.Is, errors.As) as it is.
func isImmutable(x any) bool {
	switch x.(type) {
	case nil, error, string, bool, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, uintptr, float32, float64,
		complex64, complex128, time.Time, time.Duration, *time.Location, Frozen:
		return true
	}
	switch reflect.TypeOf(x).Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		// A basic kind under a named type: a copy of the value, whatever
		// methods it has (they read only that copy).
		return true
	default:
		return false
	}
}

// immutableSize is the heap an immutable value of kind Any holds: its box,
// and the bytes of a string or of a frozen value.
func immutableSize(x any) int {
	switch x := x.(type) {
	case string:
		return allocSize(16 + len(x))
	case Frozen:
		return x.size()
	case error:
		// The error's own memory is not known; an error text is typically
		// short, and the error was allocated by the caller anyway.
		return 64
	default:
		return 16
	}
}
