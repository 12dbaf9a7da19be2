package sampling

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatsMarshalJSON: every counter of Stats, nested ReasonCounts
// included, survives encoding/json (exported fields only, none skipped),
// so that Stats can be published as it is (expvar, a debug endpoint).
func TestStatsMarshalJSON(t *testing.T) {
	var want Stats
	next := uint64(1)
	fillDistinct(reflect.ValueOf(&want).Elem(), &next)
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Stats
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip through %s (-want +got):\n%s", b, diff)
	}
}

// fillDistinct sets every integer field of v, recursively, to a distinct
// non-zero value.
func fillDistinct(v reflect.Value, next *uint64) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillDistinct(v.Field(i), next)
		}
	case reflect.Uint64:
		v.SetUint(*next)
		*next++
	case reflect.Int64:
		v.SetInt(int64(*next))
		*next++
	default:
		panic("fillDistinct: unexpected kind " + v.Kind().String())
	}
}
