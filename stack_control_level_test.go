package slogstack

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
)

// countingLeveler is a slog.Leveler of its own kind that counts its calls.
type countingLeveler struct {
	level slog.Level
	calls int
}

func (l *countingLeveler) Level() slog.Level { l.calls++; return l.level }

// TestStackLevel checks which var Level returns for each kind of
// Config.Level, and that setting it is setting the stack's level.
func TestStackLevel(t *testing.T) {
	own := new(slog.LevelVar)
	own.Set(slog.LevelWarn)
	custom := &countingLeveler{level: slog.LevelError}
	tests := []struct {
		name  string
		level slog.Leveler
		want  slog.Level
		same  *slog.LevelVar // the var Level must return, when Config.Level is one
	}{
		{"nil", nil, slog.LevelInfo, nil},
		{"constant", slog.LevelDebug, slog.LevelDebug, nil},
		{"level var", own, slog.LevelWarn, own},
		{"custom leveler", custom, slog.LevelError, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf logtest.Buffer
			s := syncStack(t, &buf, func(c *Config) { c.Level = tc.level; c.Sampling = false; c.Aggregation = false })
			if got := s.Level().Level(); got != tc.want {
				t.Errorf("Level() = %v, want %v", got, tc.want)
			}
			if tc.same != nil && s.Level() != tc.same {
				t.Errorf("Level() is not Config.Level's *slog.LevelVar")
			}
			if first, second := s.Level(), s.Level(); first != second {
				t.Errorf("Level() returns a new var on each call")
			}
			calls := custom.calls
			s.Level().Set(slog.LevelDebug)
			s.Logger().Debug("debug shown")
			s.Level().Set(slog.LevelError)
			s.Logger().Warn("warn hidden")
			s.Logger().Error("error shown")
			if diff := cmp.Diff([]string{"debug shown", "error shown"}, messagesOf(buf.Lines(t))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if custom.calls != calls {
				t.Errorf("a custom Leveler was read %d times after the build; want once, at build", custom.calls-calls)
			}
		})
	}
}

// recordingSink is a sink that keeps the messages handed to it, and lets
// every level through (the stack's level must do the filtering).
type recordingSink struct{ msgs *[]string }

func (k recordingSink) Enabled(context.Context, slog.Level) bool { return true }
func (k recordingSink) Handle(_ context.Context, r slog.Record) error {
	*k.msgs = append(*k.msgs, r.Message)
	return nil
}
func (k recordingSink) WithAttrs([]slog.Attr) slog.Handler { return k }
func (k recordingSink) WithGroup(string) slog.Handler      { return k }

// TestControlHandlerLevelChangesOutput checks that a level PUT through
// the control endpoint changes what NewStack writes and what
// NewStackWithSink passes to its sink.
func TestControlHandlerLevelChangesOutput(t *testing.T) {
	var buf logtest.Buffer
	var passed []string
	cfg := Config{Level: slog.LevelInfo} // no layer: the JSON handler's own level is tested too
	written, err := NewStack(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sunk, err := NewStackWithSink(recordingSink{&passed}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Stack{written, sunk} {
		h := s.ControlHandler()
		s.Logger().Debug("debug 1")
		control(h, http.MethodPut, `{"level":"DEBUG"}`)
		s.Logger().Debug("debug 2")
		control(h, http.MethodPut, `{"level":"WARN"}`)
		s.Logger().Debug("debug 3")
		s.Logger().Info("info 3")
		s.Logger().Warn("warn 3")
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"logging settings changed", "debug 2", "logging settings changed", "warn 3"}
	if diff := cmp.Diff(want, messagesOf(buf.Lines(t))); diff != "" {
		t.Errorf("NewStack wrote (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, passed); diff != "" {
		t.Errorf("NewStackWithSink passed (-want +got):\n%s", diff)
	}
}
