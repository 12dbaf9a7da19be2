package slogstack

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/scope"
)

// stableTimes removes the time and replaces a top-level duration by "D",
// so that the output of a job compares exactly.
func stableTimes(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		return slog.Attr{}
	case "duration":
		return slog.String("duration", "D")
	}
	return a
}

// TestStackScopeCompletion runs a job through a DefaultConfig stack with
// the options of Stack.ScopeOptions: a job that fails writes its buffered
// records and the completion record at ERROR with the error, sampled or
// not; a job that succeeds writes the completion record at INFO when it
// was sampled and nothing at all when it was not; CompletionLog = false
// leaves the record out.
func TestStackScopeCompletion(t *testing.T) {
	const id = "job-7"
	step := func(sampling map[string]any) map[string]any {
		return merge(map[string]any{"level": "INFO", "msg": "step", "n": 1.0, "correlation_id": id}, sampling)
	}
	completion := func(level, outcome string, sampling map[string]any) map[string]any {
		m := merge(map[string]any{"level": level, "msg": "scope completed", "name": "job/report", "duration": "D", "outcome": outcome, "correlation_id": id}, sampling)
		if outcome == "error" {
			m["error"] = "disk full"
		}
		return m
	}
	byRate := map[string]any{"_sampled": true, "_sample_rate": 1.0, "_sample_reason": "rate"}
	byError := map[string]any{"_sampled": true, "_sample_rate": 0.0, "_sample_reason": "error"}
	for _, tc := range []struct {
		name         string
		rate         float64
		err          error
		noCompletion bool
		want         []map[string]any
	}{
		{name: "error, not sampled", rate: 0, err: errors.New("disk full"),
			want: []map[string]any{step(byError), completion("ERROR", "error", byError)}},
		{name: "error, sampled", rate: 1, err: errors.New("disk full"),
			want: []map[string]any{step(byRate), completion("ERROR", "error", byRate)}},
		{name: "ok, not sampled", rate: 0},
		{name: "ok, sampled", rate: 1,
			want: []map[string]any{step(byRate), completion("INFO", "ok", byRate)}},
		{name: "error, not sampled, completion off", rate: 0, err: errors.New("disk full"), noCompletion: true,
			want: []map[string]any{step(byError)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			var out logtest.Buffer
			cfg := DefaultConfig()
			cfg.ReplaceAttr = stableTimes
			cfg.SamplingPolicy.Rate = tc.rate
			s, err := NewStack(&out, cfg)
			if err != nil {
				t.Fatal(err)
			}
			opts := s.ScopeOptions("job/report")
			opts.CorrelationID = id
			if tc.noCompletion {
				opts.CompletionLog = false
			}
			ctx, end := scope.Start(context.Background(), opts)
			scope.Logger(ctx).Info("step", "n", 1)
			end(tc.err)
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.Lines(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// merge returns a new map with the entries of a and then of b.
func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
