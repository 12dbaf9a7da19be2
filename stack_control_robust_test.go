package slogstack

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// TestControlHandlerShowsRateInForce checks that a rate the program
// stored outside [0, 1] (or a negative zero) is shown as the rate the
// policy decides with, so GET never fails and PUTting what GET shows is
// accepted and changes nothing.
func TestControlHandlerShowsRateInForce(t *testing.T) {
	tests := []struct {
		name   string
		stored float64
		want   string
	}{
		{"NaN", math.NaN(), "0"},
		{"+Inf", math.Inf(1), "1"},
		{"-Inf", math.Inf(-1), "0"},
		{"above 1", 5, "1"},
		{"negative", -1, "0"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"in range", 0.25, "0.25"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf logtest.Buffer
			s := syncStack(t, &buf, nil)
			h := s.ControlHandler()
			s.Policy().Store(sampling.Policy{Rate: tc.stored})
			want := jsonOK(`{"level":"INFO","sampling":{"rate":` + tc.want + `,"always_sample_paths":[],"excluded_paths":[],"follow_trace":false}}` + "\n")
			got := control(h, http.MethodGet, "")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("GET (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, control(h, http.MethodPut, got.Body)); diff != "" {
				t.Errorf("PUT of GET's body (-want +got):\n%s", diff)
			}
			if lines := buf.Lines(t); len(lines) != 0 {
				t.Errorf("a PUT that changes nothing logged %v", lines)
			}
		})
	}
}

// TestControlHandlerNegativeZeroRate checks that a PUT rate of -0 is
// stored, shown and audited as 0.
func TestControlHandlerNegativeZeroRate(t *testing.T) {
	var buf logtest.Buffer
	s := syncStack(t, &buf, nil)
	got := control(s.ControlHandler(), http.MethodPut, `{"sampling":{"rate":-0.0}}`)
	want := jsonOK(strings.Replace(defaultControlJSON, `"rate":0.1`, `"rate":0`, 1))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PUT (-want +got):\n%s", diff)
	}
	if r := s.Policy().Load().Rate; r != 0 || math.Signbit(r) {
		t.Errorf("stored rate %v (sign bit %v), want +0", r, math.Signbit(r))
	}
	lines := buf.Lines(t)
	if len(lines) != 1 {
		t.Fatalf("audit records: %v", lines)
	}
	if !strings.Contains(buf.String(), `"new":{"level":"INFO","sampling":{"rate":0,`) {
		t.Errorf("audit record does not show rate 0: %s", buf.String())
	}
}

// panickingSink panics on every record.
type panickingSink struct{}

func (panickingSink) Enabled(context.Context, slog.Level) bool  { return true }
func (panickingSink) Handle(context.Context, slog.Record) error { panic("sink down\nsecond line") }
func (h panickingSink) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h panickingSink) WithGroup(string) slog.Handler           { return h }

// TestControlHandlerAuditSinkPanics checks that a change whose audit
// record cannot be written because the sink panics is refused with a 500
// and changes nothing (no change goes unaudited), and that a layer which
// recovers the panic (sampling) lets it through, counted.
func TestControlHandlerAuditSinkPanics(t *testing.T) {
	tests := []struct {
		name     string
		sampling bool
		want     controlResponse
		level    slog.Level
	}{
		{"bare sink", false,
			plainError(500, "audit record not written, nothing changed: the sink panicked: sink down second line"), slog.LevelInfo},
		{"sampling recovers", true,
			jsonOK(strings.Replace(defaultControlJSON, `"INFO"`, `"DEBUG"`, 1)), slog.LevelDebug},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Async, cfg.Aggregation, cfg.Redact, cfg.Correlation = false, false, false, false
			cfg.Sampling = tc.sampling
			s, err := NewStackWithSink(panickingSink{}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := s.ControlHandler()
			if diff := cmp.Diff(tc.want, control(h, http.MethodPut, `{"level":"DEBUG"}`)); diff != "" {
				t.Errorf("PUT (-want +got):\n%s", diff)
			}
			if got := s.Level().Level(); got != tc.level {
				t.Errorf("level %v, want %v", got, tc.level)
			}
			if tc.sampling {
				if n := s.Stats().Sampling.HandlePanics; n != 1 {
					t.Errorf("Sampling.HandlePanics = %d, want 1", n)
				}
			}
		})
	}
}
