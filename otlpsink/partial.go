package otlpsink

import (
	"errors"
	"reflect"
)

// partialSuccessPackage is the package of the error type otlploghttp
// returns for an OTLP partial success: PartialSuccess, not exported.
const partialSuccessPackage = "go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp/internal"

// failedRecords returns how many of the n records of an export that
// returned err were not exported. nil: none. An error holding OTLP partial
// successes: the records they rejected, which may be none (the Collector's
// warning). Any other error, or a partial success whose count cannot be
// read (a release of the exporter that reports it differently): all n.
func failedRecords(n uint64, err error) uint64 {
	if err == nil {
		return 0
	}
	rejected, ok := rejectedRecords(err)
	if !ok {
		return n
	}
	return min(rejected, n)
}

// rejectedRecords returns the records the OTLP partial successes in err
// rejected, and whether err holds one whose count could be read. The
// exporter returns a partial success as its type PartialSuccess, joined
// with the export's other errors; its RejectedItems field is read by
// reflection, since the type is not exported.
func rejectedRecords(err error) (rejected uint64, ok bool) {
	walkErrors(err, func(e error) {
		if n, found := readRejected(reflect.ValueOf(e), partialSuccessPackage); found {
			rejected += n
			ok = true
		}
	})
	return rejected, ok
}

// readRejected returns the RejectedItems field of v when v is a struct
// named PartialSuccess of package pkg whose own (not embedded) field
// RejectedItems is a non-negative integer; found is false otherwise. It
// never panics, whatever v's type.
func readRejected(v reflect.Value, pkg string) (n uint64, found bool) {
	if !v.IsValid() {
		return 0, false
	}
	t := v.Type()
	if t.Kind() != reflect.Struct || t.Name() != "PartialSuccess" || t.PkgPath() != pkg {
		return 0, false
	}
	field, ok := t.FieldByName("RejectedItems")
	if !ok || len(field.Index) != 1 {
		return 0, false
	}
	switch f := v.Field(field.Index[0]); {
	case f.CanInt() && f.Int() >= 0:
		return uint64(f.Int()), true
	case f.CanUint():
		return f.Uint(), true
	}
	return 0, false
}

// walkErrors calls visit on err and every error it wraps, depth first.
func walkErrors(err error, visit func(error)) {
	if err == nil {
		return
	}
	visit(err)
	switch w := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range w.Unwrap() {
			walkErrors(e, visit)
		}
	default:
		walkErrors(errors.Unwrap(err), visit)
	}
}
