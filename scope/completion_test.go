package scope

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// normalDuration replaces the completion record's duration, which the test
// cannot know, by a mark saying whether it was a non-negative number.
func normalDuration(lines []map[string]any) []map[string]any {
	for _, l := range lines {
		if d, ok := l["duration"].(float64); ok && d >= 0 {
			l["duration"] = "D"
		}
	}
	return lines
}

// panicError is an error whose Error method panics.
type panicError struct{}

func (panicError) Error() string { panic("Error exploded") }

// sampledBy returns the attributes the sampling handler adds to a record
// of a scope sampled at rate by reason.
func sampledBy(rate float64, reason string) map[string]any {
	return map[string]any{"_sampled": true, "_sample_rate": rate, "_sample_reason": reason}
}

// merged returns a copy of m with the entries of extra added.
func merged(m, extra map[string]any) map[string]any {
	out := make(map[string]any, len(m)+len(extra))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestCompletionRecord(t *testing.T) {
	failed := errors.New("disk full")
	for _, tc := range []struct {
		name  string
		rate  float64
		opts  Options // Policy, Logger and CorrelationID are set by the test
		err   error
		level slog.Level // the sink's level
		want  []map[string]any
	}{
		{
			name: "sampled, ok: INFO",
			rate: 1, opts: Options{Name: "job/report", CompletionLog: true, CompletionMessage: "scope completed"},
			want: []map[string]any{
				{"level": "INFO", "msg": "working", "correlation_id": "job-1"},
				{"level": "INFO", "msg": "scope completed", "correlation_id": "job-1", "name": "job/report", "duration": "D", "outcome": "ok"},
			},
		},
		{
			name: "sampled, error: ERROR with the error",
			rate: 1, err: failed, opts: Options{Name: "job/report", CompletionLog: true, CompletionMessage: "scope completed"},
			want: []map[string]any{
				{"level": "INFO", "msg": "working", "correlation_id": "job-1"},
				{"level": "ERROR", "msg": "scope completed", "correlation_id": "job-1", "name": "job/report", "duration": "D", "outcome": "error", "error": "disk full"},
			},
		},
		{
			name: "not sampled, ok: nothing",
			rate: 0, opts: Options{Name: "job/report", CompletionLog: true, CompletionMessage: "scope completed"},
		},
		{
			name: "not sampled, error: kept records then the completion",
			rate: 0, err: failed, opts: Options{Name: "job/report", CompletionLog: true, CompletionMessage: "scope completed"},
			want: []map[string]any{
				{"level": "INFO", "msg": "working", "correlation_id": "job-1"},
				{"level": "ERROR", "msg": "scope completed", "correlation_id": "job-1", "name": "job/report", "duration": "D", "outcome": "error", "error": "disk full"},
			},
		},
		{
			name: "off: no completion record",
			rate: 1, err: failed, opts: Options{Name: "job/report", CompletionMessage: "scope completed"},
			want: []map[string]any{
				{"level": "INFO", "msg": "working", "correlation_id": "job-1"},
			},
		},
		{
			name: "empty message and name logged as given",
			rate: 1, opts: Options{CompletionLog: true},
			want: []map[string]any{
				{"level": "INFO", "msg": "working", "correlation_id": "job-1"},
				{"level": "INFO", "msg": "", "correlation_id": "job-1", "name": "", "duration": "D", "outcome": "ok"},
			},
		},
		{
			name: "INFO disabled: only a failure shows",
			rate: 1, level: slog.LevelWarn, opts: Options{Name: "j", CompletionLog: true, CompletionMessage: "done"},
		},
		{
			name: "INFO disabled, error: ERROR written",
			rate: 1, level: slog.LevelWarn, err: failed, opts: Options{Name: "j", CompletionLog: true, CompletionMessage: "done"},
			want: []map[string]any{
				{"level": "ERROR", "msg": "done", "correlation_id": "job-1", "name": "j", "duration": "D", "outcome": "error", "error": "disk full"},
			},
		},
		{
			name: "panicking Error method: the handler renders it",
			rate: 0, err: panicError{}, opts: Options{Name: "j", CompletionLog: true, CompletionMessage: "done"},
			want: []map[string]any{
				{"level": "INFO", "msg": "working", "correlation_id": "job-1"},
				{"level": "ERROR", "msg": "done", "correlation_id": "job-1", "name": "j", "duration": "D", "outcome": "error", "error": "!PANIC: Error exploded"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out logtest.Buffer
			json := slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: tc.level, ReplaceAttr: logtest.DropTime})
			smp := sampling.NewHandler(json, sampling.DefaultOptions())
			logger := slog.New(NewHandler(smp, HandlerOptions{}))
			opts := tc.opts
			opts.CorrelationID, opts.Logger, opts.Policy = "job-1", logger, sampling.Policy{Rate: tc.rate}
			ctx, end := Start(context.Background(), opts)
			Logger(ctx).Info("working")
			end(tc.err)
			end(tc.err) // only the first call counts
			end(nil)
			reason := "rate"
			if tc.rate == 0 {
				reason = "error"
			}
			var want []map[string]any
			for _, w := range tc.want {
				want = append(want, merged(w, sampledBy(tc.rate, reason)))
			}
			got := normalDuration(out.Lines(t))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if s := scopeOf(ctx); !s.Ended() || s.Kept() != (tc.err != nil && tc.rate == 0) {
				t.Errorf("scope ended=%v kept=%v", s.Ended(), s.Kept())
			}
		})
	}
}

// TestCompletionLoggerFromParent checks that, without Options.Logger, the
// completion record goes through the logger set on the parent context.
func TestCompletionLoggerFromParent(t *testing.T) {
	var out logtest.Buffer
	logger := slog.New(NewHandler(out.JSONHandler(nil), HandlerOptions{}))
	ctx := WithLogger(context.Background(), logger)
	_, end := Start(ctx, Options{Name: "n", CorrelationID: "c", Policy: sampling.Policy{Rate: 1}, CompletionLog: true, CompletionMessage: "m"})
	end(nil)
	want := []map[string]any{{"level": "INFO", "msg": "m", "correlation_id": "c", "name": "n", "duration": "D", "outcome": "ok"}}
	if diff := cmp.Diff(want, normalDuration(out.Lines(t))); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// panicHandler is enabled at every level and panics in Handle.
type panicHandler struct{ logtest.Nop }

func (panicHandler) Handle(context.Context, slog.Record) error { panic("sink exploded") }

// TestCompletionPanickingLogger checks that a handler panicking on the
// completion record panics out of end only after the scope has ended and
// been kept, and that later end calls do nothing.
func TestCompletionPanickingLogger(t *testing.T) {
	ctx, end := Start(context.Background(), Options{Logger: slog.New(panicHandler{}), CompletionLog: true})
	func() {
		defer func() {
			if r := recover(); r != "sink exploded" {
				t.Errorf("recovered %v, want the handler's panic", r)
			}
		}()
		end(errors.New("failed"))
	}()
	if s := scopeOf(ctx); !s.Ended() || !s.Kept() {
		t.Errorf("after the panic: ended=%v kept=%v, want both", s.Ended(), s.Kept())
	}
	end(nil) // does not log again (it would panic)
}

// TestCompletionConcurrentEnds checks that concurrent end calls write one
// completion record.
func TestCompletionConcurrentEnds(t *testing.T) {
	var out logtest.Buffer
	logger := slog.New(out.JSONHandler(nil))
	_, end := Start(context.Background(), Options{Policy: sampling.Policy{Rate: 1}, Logger: logger, CompletionLog: true})
	done := make(chan struct{})
	for range 8 {
		go func() { end(nil); done <- struct{}{} }()
	}
	for range 8 {
		<-done
	}
	if n := len(out.Lines(t)); n != 1 {
		t.Errorf("%d completion records, want 1", n)
	}
}

// TestCompletionOffAllocs checks that a scope without the completion
// record costs what it cost before the option existed, and that one with
// it costs its closure and the record.
func TestCompletionOffAllocs(t *testing.T) {
	logger := slog.New(logtest.Nop{})
	for _, tc := range []struct {
		name string
		opts Options
		want float64
	}{
		// 2: the state (which holds the scope and is the context that
		// carries it) and the end function.
		{"off", Options{CorrelationID: "c", Logger: logger}, 2},
		{"on, level disabled", Options{CorrelationID: "c", Logger: slog.New(slog.DiscardHandler), CompletionLog: true}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(100, func() {
				_, end := Start(context.Background(), tc.opts)
				end(nil)
			})
			if got != tc.want {
				t.Errorf("Start and end: %v allocations, want %v", got, tc.want)
			}
		})
	}
}

// openProbe records, for each record it handles, whether the record's
// scope had ended and been kept at that moment.
type openProbe struct {
	logtest.Nop
	seen *[][2]bool
}

func (p openProbe) Handle(ctx context.Context, _ slog.Record) error {
	s := scopeOf(ctx)
	*p.seen = append(*p.seen, [2]bool{s.Ended(), s.Kept()})
	return nil
}

// TestCompletionInsideTheScope checks that the completion record is
// handled after an error kept the scope and before the scope ends, so
// that the handlers below see it as one of the scope's records.
func TestCompletionInsideTheScope(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want [][2]bool // {ended, kept}
	}{
		{"ok", nil, [][2]bool{{false, false}}},
		{"error", errors.New("failed"), [][2]bool{{false, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen [][2]bool
			_, end := Start(context.Background(), Options{Logger: slog.New(openProbe{seen: &seen}), CompletionLog: true})
			end(tc.err)
			if diff := cmp.Diff(tc.want, seen); diff != "" {
				t.Errorf("scope state at the completion record {ended, kept} (-want +got):\n%s", diff)
			}
		})
	}
}
