package redact

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatsRoundTripJSON checks that every counter of Stats, the pattern
// counts included, survives encoding/json: each field is exported and set to
// a distinct value before the round trip.
func TestStatsRoundTripJSON(t *testing.T) {
	var in Stats
	next := uint64(1)
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			switch f := v.Field(i); f.Kind() {
			case reflect.Uint64:
				f.SetUint(next)
				next++
			case reflect.Struct:
				fill(f)
			default:
				t.Fatalf("field %s of kind %s: add it to this test", v.Type().Field(i).Name, f.Kind())
			}
		}
	}
	fill(reflect.ValueOf(&in).Elem())
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Stats
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, b)
	}
	// The pattern counters hold 4, 5, ... 4+numPatterns-1 (after Records,
	// RecordsChanged and KeyMasked): Total is their sum.
	if n := uint64(numPatterns); in.Patterns.Total() != n*(n+1)/2+3*n {
		t.Errorf("Total() = %d over %d pattern counters", in.Patterns.Total(), n)
	}
}
