package snapshot

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// isImmutable reports whether x, held as a value of kind Any, is a value
// whose content cannot change after the call and that keeps no memory
// alive beyond its own box: numbers, bools, times, durations (a basic kind
// under a named type too, whatever its methods: they read only that copy)
// and values this package made. Strings are not: one may be a short cut of
// a large string, so snapshots copy them.
func isImmutable(x any) bool {
	switch x.(type) {
	case nil, bool, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, uintptr, float32, float64,
		complex64, complex128, time.Time, time.Duration, *time.Location,
		Frozen, frozenError:
		return true
	}
	switch reflect.TypeOf(x).Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	default:
		return false
	}
}

// immutableSize is the heap an immutable value of kind Any holds.
func immutableSize(x any) int {
	switch x := x.(type) {
	case Frozen:
		return x.size()
	case frozenError:
		return allocSize(16) + allocSize(len(x))
	default:
		return 16
	}
}

// frozenError is an error's text as it was when it was logged: slog's
// handlers write an error value as its Error text (unless it is a
// json.Marshaler, which is frozen as any other value). Its chain is not
// kept: errors.Is and errors.As see only the text.
type frozenError string

func (e frozenError) Error() string { return string(e) }

// freezeError returns err's text now, as slog's handlers would write it:
// "<nil>" for a nil pointer whose Error does not guard against nil, else
// "!PANIC: " and the panic value when Error panics.
func freezeError(err error) (f frozenError) {
	defer func() {
		if p := recover(); p != nil {
			if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
				f = "<nil>"
				return
			}
			f = frozenError(fmt.Sprintf("!PANIC: %v", p))
		}
	}()
	return frozenError(err.Error())
}

// isPlainError reports whether x is an error that slog's handlers write
// as its text.
func isPlainError(x any) (error, bool) {
	err, ok := x.(error)
	if !ok {
		return nil, false
	}
	if _, jm := x.(json.Marshaler); jm {
		return nil, false
	}
	return err, true
}
