package otlpsink

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPartialSuccessWarningExportsAll: a partial success that rejects no
// record is the Collector's warning: every record was accepted and counts
// as exported; the export still counts in FailedExports with its message.
func TestPartialSuccessWarningExportsAll(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerWarn)
	s := newTestStack(t, plainConfig(true), testOptions(c))
	const n = 200
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	// The last export's warning is the batch processor's error; no record
	// is reported as not exported.
	if err := s.Shutdown(context.Background()); err != nil && strings.Contains(err.Error(), "not exported") {
		t.Errorf("Shutdown: %v, want no record reported as not exported", err)
	}
	requests := uint64(c.requestCount())
	want := ExportStats{Handed: n, Exported: n, Exports: requests, FailedExports: requests,
		LastError: "OTLP partial success: attribute truncated (0 logs rejected)"}
	if diff := cmp.Diff(want, s.ExportStats()); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if got := len(c.received()); got != n {
		t.Errorf("server kept %d records, want %d", got, n)
	}
}

// inner holds a RejectedItems field promoted into an embedding struct.
type inner struct{ RejectedItems int64 }

// TestReadRejectedOnlyTrustsTheKnownShape: the partial success's count is
// read only from a struct of the expected name, package and field; any
// other shape (a future release of the exporter) is not found, so the
// export counts all its records as failed, and nothing panics.
func TestReadRejectedOnlyTrustsTheKnownShape(t *testing.T) {
	const pkg = "github.com/slogstack/slogstack/otlpsink"
	type result struct {
		N     uint64
		Found bool
	}
	current := func() any {
		type PartialSuccess struct {
			ErrorMessage  string
			RejectedItems int64
			RejectedKind  string
		}
		return PartialSuccess{RejectedItems: 5}
	}
	tests := []struct {
		name  string
		value any
		pkg   string
		want  result
	}{
		{"the exporter's shape", current(), pkg, result{5, true}},
		{"another package", current(), partialSuccessPackage, result{}},
		{"a pointer to it", func() any { v := current(); return &v }(), pkg, result{}},
		{"another name", struct{ RejectedItems int64 }{5}, pkg, result{}},
		{"unsigned count", func() any {
			type PartialSuccess struct{ RejectedItems uint32 }
			return PartialSuccess{7}
		}(), pkg, result{7, true}},
		{"negative count", func() any {
			type PartialSuccess struct{ RejectedItems int64 }
			return PartialSuccess{-1}
		}(), pkg, result{}},
		{"count of another kind", func() any {
			type PartialSuccess struct{ RejectedItems string }
			return PartialSuccess{"5"}
		}(), pkg, result{}},
		{"no count", func() any {
			type PartialSuccess struct{ Rejected int64 }
			return PartialSuccess{5}
		}(), pkg, result{}},
		{"count promoted through a nil embedded pointer", func() any {
			type PartialSuccess struct{ *inner }
			return PartialSuccess{}
		}(), pkg, result{}},
		{"count promoted through an embedded struct", func() any {
			type PartialSuccess struct{ inner }
			return PartialSuccess{inner{5}}
		}(), pkg, result{}},
		{"not a struct", func() any {
			type PartialSuccess int64
			return PartialSuccess(5)
		}(), pkg, result{}},
		{"nothing", nil, pkg, result{}},
	}
	for _, tt := range tests {
		var got result
		got.N, got.Found = readRejected(reflect.ValueOf(tt.value), tt.pkg)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: readRejected (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestFailedRecords: what an export's error says about its records.
func TestFailedRecords(t *testing.T) {
	lookAlike := errors.New("OTLP partial success: too big (3 logs rejected)")
	tests := []struct {
		name string
		err  error
		want uint64
	}{
		{"exported", nil, 0},
		{"failed", errors.New("503"), 10},
		{"a partial success the exporter reports differently", fmt.Errorf("export: %w", lookAlike), 10},
	}
	for _, tt := range tests {
		if got := failedRecords(10, tt.err); got != tt.want {
			t.Errorf("%s: failedRecords(10, %v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
