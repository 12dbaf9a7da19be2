package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOTelErrorsWritesEachOnce checks what the service's OpenTelemetry
// error handler writes: each distinct error once, at most otelErrorsShown
// of them, and a summary with the count of all of them only when some
// were not written.
func TestOTelErrorsWritesEachOnce(t *testing.T) {
	line := func(msg string) string { return "otel: " + msg + " (written once; repeats counted at exit)" }
	many := make([]string, otelErrorsShown+3)
	var manyLines []string
	for i := range many {
		many[i] = fmt.Sprintf("error %d", i)
		if i < otelErrorsShown {
			manyLines = append(manyLines, line(many[i]))
		}
	}
	tests := []struct {
		name        string
		errs        []string
		wantLines   []string
		wantSummary string
	}{
		{"none", nil, nil, ""},
		{"one", []string{"400 Bad Request"}, []string{line("400 Bad Request")}, ""},
		{"a failed export repeated", []string{"400 Bad Request", "400 Bad Request", "EOF", "400 Bad Request"},
			[]string{line("400 Bad Request"), line("EOF")},
			"otel: 4 errors in all, 2 distinct written above; the report's export rows count the records they cost"},
		{"more distinct than shown", many, manyLines,
			fmt.Sprintf("otel: %d errors in all, %d distinct written above; the report's export rows count the records they cost", len(many), otelErrorsShown)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, summary bytes.Buffer
			h := newOTelErrors(&out)
			for _, e := range tc.errs {
				h.Handle(errors.New(e))
			}
			h.summary(&summary)
			var got []string
			for l := range strings.Lines(out.String()) {
				got = append(got, strings.TrimSuffix(l, "\n"))
			}
			if diff := cmp.Diff(tc.wantLines, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if got := strings.TrimSuffix(summary.String(), "\n"); got != tc.wantSummary {
				t.Errorf("summary %q, want %q", got, tc.wantSummary)
			}
		})
	}
}
