package logtest

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fatalRecorder is a testing.TB whose Fatalf records the failure and ends
// the calling goroutine, as testing.T does.
type fatalRecorder struct {
	testing.TB
	failed string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// decode runs DecodeLines on s in its own goroutine and returns its result
// and the failure it reported, if any.
func decode(t *testing.T, s string) (got []map[string]any, failed string) {
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = DecodeLines(rec, s)
	}()
	<-done
	return got, rec.failed
}

func TestDecodeLines(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []map[string]any
		wantFail string
	}{
		{name: "empty", in: "", want: nil},
		{name: "one line", in: `{"msg":"a","n":1}` + "\n", want: []map[string]any{{"msg": "a", "n": 1.0}}},
		{name: "no final newline", in: "{\"msg\":\"a\"}\n{\"msg\":\"b\"}",
			want: []map[string]any{{"msg": "a"}, {"msg": "b"}}},
		{name: "nested", in: `{"g":{"k":"v"}}` + "\n", want: []map[string]any{{"g": map[string]any{"k": "v"}}}},
		{name: "empty object", in: "{}\n", want: []map[string]any{{}}},
		{name: "not JSON", in: "{\"msg\":\"a\"}\nlevel=INFO\n",
			wantFail: `line 2 is not JSON: invalid character 'l' looking for beginning of value: "level=INFO\n"`},
		{name: "empty line", in: "{}\n\n{}\n",
			wantFail: `line 2 is not JSON: unexpected end of JSON input: "\n"`},
		{name: "null", in: "null\n", wantFail: `line 1 is not a JSON object: "null\n"`},
		{name: "array", in: "[1]\n",
			wantFail: `line 1 is not JSON: json: cannot unmarshal array into Go value of type map[string]interface {}: "[1]\n"`},
		{name: "two objects on a line", in: "{}{}\n",
			wantFail: `line 1 is not JSON: invalid character '{' after top-level value: "{}{}\n"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, failed := decode(t, tt.in)
			if diff := cmp.Diff(tt.wantFail, failed); diff != "" {
				t.Errorf("failure (-want +got):\n%s", diff)
			}
			if tt.wantFail != "" {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
