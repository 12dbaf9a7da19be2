package async

import (
	"context"
	"log/slog"
	"sync"
)

// stuckSink blocks every Handle (and Write) until release is closed;
// entered is closed when the first call arrives.
type stuckSink struct {
	entered   chan struct{}
	release   chan struct{}
	enterOnce sync.Once
}

func newStuckSink() *stuckSink {
	return &stuckSink{entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *stuckSink) wait() {
	s.enterOnce.Do(func() { close(s.entered) })
	<-s.release
}

func (s *stuckSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *stuckSink) Handle(context.Context, slog.Record) error {
	s.wait()
	return nil
}
func (s *stuckSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *stuckSink) WithGroup(string) slog.Handler      { return s }

func (s *stuckSink) Write(p []byte) (int, error) {
	s.wait()
	return len(p), nil
}
