package slogstack

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slogstack/slogstack/aggregation"
)

// stuckSink is a sink whose Handle waits until release is closed.
type stuckSink struct {
	release chan struct{}
	handled chan struct{} // receives once per record taken
}

func (s *stuckSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *stuckSink) Handle(context.Context, slog.Record) error {
	<-s.release
	s.handled <- struct{}{}
	return nil
}
func (s *stuckSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *stuckSink) WithGroup(string) slog.Handler      { return s }

// TestShutdownLaterCallerBoundedByItsContext checks that a Shutdown made
// while an earlier one is still writing waits for it no longer than its own
// context allows, abandons nothing of the earlier call's work, and that once
// the first call has finished every later call returns its result.
func TestShutdownLaterCallerBoundedByItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &stuckSink{release: make(chan struct{}), handled: make(chan struct{}, 16)}
		s, err := NewStackWithSink(sink, Config{Async: true, AsyncOptions: DefaultConfig().AsyncOptions})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			s.Logger().Info("queued", "i", i)
		}
		first := make(chan error)
		go func() { first <- s.Shutdown(context.Background()) }()
		synctest.Wait() // the first Shutdown waits for the stuck sink

		for _, timeout := range []time.Duration{0, 100 * time.Millisecond} {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			start := time.Now()
			err := s.Shutdown(ctx)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "earlier Shutdown") {
				t.Errorf("Shutdown(%v) during the first: %v; want a deadline error naming the earlier Shutdown", timeout, err)
			}
			if waited := time.Since(start); waited != timeout {
				t.Errorf("Shutdown(%v) during the first returned after %v", timeout, waited)
			}
		}

		close(sink.release)
		if err := <-first; err != nil {
			t.Errorf("first Shutdown: %v, want nil once the sink is released", err)
		}
		if n := len(sink.handled); n != 3 {
			t.Errorf("sink took %d records, want all 3: a later caller abandoned the first's work", n)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown after the first finished, with a cancelled context: %v, want the first result (nil)", err)
		}
		if st := s.Stats().Async; st.Lost != 0 || st.Written != 3 {
			t.Errorf("async stats: Written %d, Lost %d; want 3, 0", st.Written, st.Lost)
		}
	})
}

// goexitSink ends the goroutine of its first Handle call with
// runtime.Goexit (as t.FailNow in a sink would) and takes every later
// record.
type goexitSink struct{ calls atomic.Int64 }

func (s *goexitSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *goexitSink) Handle(context.Context, slog.Record) error {
	if s.calls.Add(1) == 1 {
		runtime.Goexit()
	}
	return nil
}
func (s *goexitSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *goexitSink) WithGroup(string) slog.Handler      { return s }

// TestShutdownEndedBySink checks that when the sink ends the goroutine of
// the first Shutdown while it writes the summaries, later calls do not
// report a shutdown that never finished as a success.
func TestShutdownEndedBySink(t *testing.T) {
	sink := &goexitSink{}
	cfg := Config{Aggregation: true, AggregationOptions: DefaultConfig().AggregationOptions}
	cfg.AggregationOptions.Match = aggregation.MatchPrefixes("pool")
	cfg.AggregationOptions.Burst = 0
	s, err := NewStackWithSink(sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s.Logger().Info("pool", "group", i)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.Shutdown(context.Background()) }()
	<-done
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, errShutdownUnfinished) {
		t.Errorf("Shutdown after the first one's goroutine ended in the sink: %v, want %v", err, errShutdownUnfinished)
	}
}
