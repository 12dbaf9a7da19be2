package redact

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCardNumbersSpelledAsJSONNumbers checks that a card number written as
// a JSON number with a fraction or an exponent is masked like its integer
// form, in a JSON body (a string, raw JSON) and in text (a body cut short),
// and that numbers that are not whole card numbers are kept.
func TestCardNumbersSpelledAsJSONNumbers(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"integer", `{"n":4111111111111111}`, `{"n":"[REDACTED]"}`},
		{"fraction", `{"n":4111111111111111.0}`, `{"n":"[REDACTED]"}`},
		{"fraction zeros", `{"n":4111111111111111.000}`, `{"n":"[REDACTED]"}`},
		{"exponent", `{"n":4111111111111111e0}`, `{"n":"[REDACTED]"}`},
		{"exponent sign", `{"n":4111111111111111E+0}`, `{"n":"[REDACTED]"}`},
		{"scientific", `{"n":4.111111111111111e15}`, `{"n":"[REDACTED]"}`},
		{"fraction scaled", `[0.4111111111111111e16]`, `["[REDACTED]"]`},
		{"leading zeros in fraction", `[41111111111111.11e2]`, `["[REDACTED]"]`},
		{"not whole", `{"n":4111111111111111.5}`, `{"n":4111111111111111.5}`},
		{"not Luhn", `{"n":4111111111111112.0}`, `{"n":4111111111111112.0}`},
		{"too long", `{"n":4111111111111111e5}`, `{"n":4111111111111111e5}`},
		{"too short", `{"n":4111e3}`, `{"n":4111e3}`},
		{"negative exponent, not whole", `{"n":4111111111111111e-1}`, `{"n":4111111111111111e-1}`},
		{"cut short, fraction", `{"n":4111111111111111.0,"a":`, `{"n":[REDACTED],"a":`},
		{"cut short, exponent", `{"n":4111111111111111e0,"a":`, `{"n":[REDACTED],"a":`},
		{"text, exponent", `paid with 4111111111111111e0 today`, `paid with [REDACTED] today`},
		{"text, part of a token", `v4111111111111111e0`, `v4111111111111111e0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := x.RedactValue(slog.StringValue(tt.in))
			if diff := cmp.Diff(tt.want, got.String()); diff != "" {
				t.Errorf("string (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, string(x.RedactBody("application/json", []byte(tt.in)))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if json.Valid([]byte(tt.in)) {
				v, _ := x.RedactValue(slog.AnyValue(json.RawMessage(tt.in)))
				if diff := cmp.Diff(tt.want, encodedAs(t, v)); diff != "" {
					t.Errorf("json.RawMessage (-want +got):\n%s", diff)
				}
			}
		})
	}
}
