package sampling

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
)

func TestDefaultOptions(t *testing.T) {
	want := Options{
		MaxRequestRecords: 512,
		MaxRequestBytes:   512 << 10,
		MaxBufferedBytes:  32 << 20,
		SampleUnscoped:    false,
		UnscopedRate:      0.1,
	}
	if diff := cmp.Diff(want, DefaultOptions()); diff != "" {
		t.Fatalf("DefaultOptions (-want +got):\n%s", diff)
	}
}

// TestOptionsZeroMeansZero: a zero (or negative) bound turns buffering off,
// whichever bound it is; a zero (negative, NaN) UnscopedRate keeps no
// record without a scope below ERROR; a rate above 1 keeps all, at rate 1.
// The same script runs against each Options: a request that is not
// sampled logs INFO, ERROR, INFO; then records without a scope.
func TestOptionsZeroMeansZero(t *testing.T) {
	edit := func(f func(*Options)) Options {
		o := DefaultOptions()
		f(&o)
		return o
	}
	unscoped := func(rate float64) Options {
		return Options{SampleUnscoped: true, UnscopedRate: rate}
	}
	annotated := func(m map[string]any, rate float64, reason string) map[string]any {
		m[sampledKey], m[sampleRateKey], m[sampleReasonKey] = true, rate, reason
		return m
	}
	// Output of the scoped part of the script.
	buffered := []map[string]any{
		kept(rec("INFO", "before"), 0.1), kept(rec("ERROR", "failed"), 0.1), kept(rec("INFO", "after"), 0.1),
	}
	unbuffered := []map[string]any{kept(rec("ERROR", "failed"), 0.1), kept(rec("INFO", "after"), 0.1)}
	// Output of the unscoped part of the script.
	plain := []map[string]any{rec("INFO", "no scope"), rec("ERROR", "no scope failed")}
	noneKept := []map[string]any{annotated(rec("ERROR", "no scope failed"), 0, reqscope.ReasonError)}
	allKept := []map[string]any{
		annotated(rec("INFO", "no scope"), 1, reasonRecord),
		annotated(rec("ERROR", "no scope failed"), 1, reqscope.ReasonError),
	}

	tests := []struct {
		name         string
		opts         Options
		wantEnabled  bool // Enabled(INFO) for the request not sampled
		wantBuffered uint64
		want         []map[string]any
	}{
		{"zero Options", Options{}, false, 0, slices.Concat(unbuffered, plain)},
		{"defaults", DefaultOptions(), true, 1, slices.Concat(buffered, plain)},
		{"zero records", edit(func(o *Options) { o.MaxRequestRecords = 0 }), false, 0, slices.Concat(unbuffered, plain)},
		{"zero request bytes", edit(func(o *Options) { o.MaxRequestBytes = 0 }), false, 0, slices.Concat(unbuffered, plain)},
		{"zero budget", edit(func(o *Options) { o.MaxBufferedBytes = 0 }), false, 0, slices.Concat(unbuffered, plain)},
		{"negative records", edit(func(o *Options) { o.MaxRequestRecords = -1 }), false, 0, slices.Concat(unbuffered, plain)},
		{"negative request bytes", edit(func(o *Options) { o.MaxRequestBytes = -1 }), false, 0, slices.Concat(unbuffered, plain)},
		{"negative budget", edit(func(o *Options) { o.MaxBufferedBytes = -1 }), false, 0, slices.Concat(unbuffered, plain)},
		{"unscoped rate zero", unscoped(0), false, 0, slices.Concat(unbuffered, noneKept)},
		{"unscoped rate negative", unscoped(-0.5), false, 0, slices.Concat(unbuffered, noneKept)},
		{"unscoped rate NaN", unscoped(math.NaN()), false, 0, slices.Concat(unbuffered, noneKept)},
		{"unscoped rate above 1", unscoped(2), false, 0, slices.Concat(unbuffered, allKept)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, tt.opts)
			l := slog.New(h)
			ctx, s := open(notSampled)
			if got := h.Enabled(ctx, slog.LevelInfo); got != tt.wantEnabled {
				t.Errorf("Enabled(INFO) = %v, want %v", got, tt.wantEnabled)
			}
			l.InfoContext(ctx, "before")
			l.ErrorContext(ctx, "failed")
			l.InfoContext(ctx, "after")
			s.End()
			l.InfoContext(context.Background(), "no scope")
			l.ErrorContext(context.Background(), "no scope failed")

			if diff := cmp.Diff(tt.want, out.Lines(t)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			st := h.Stats()
			if st.RecordsBuffered != tt.wantBuffered || st.BufferedRecords != 0 || st.BufferedBytes != 0 {
				t.Errorf("buffered %d (want %d), %d records and %d bytes still held",
					st.RecordsBuffered, tt.wantBuffered, st.BufferedRecords, st.BufferedBytes)
			}
			checkConservation(t, st)
		})
	}
}
