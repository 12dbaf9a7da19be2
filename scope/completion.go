package scope

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/scopectx"
)

// Outcomes written in the completion record's outcome attribute.
const (
	outcomeOK    = "ok"
	outcomeError = "error"
)

// endWithCompletion returns the end function of a scope opened with
// Options.CompletionLog: the first call keeps the scope on an error, logs
// the completion record with ctx (the scope's context, so the record
// follows the scope's decision), and ends the scope even when logging
// panics. Later calls do nothing.
func endWithCompletion(ctx context.Context, st *scopectx.State, name, msg string) func(err error) {
	start := time.Now()
	var ended atomic.Bool
	return func(err error) {
		if !ended.CompareAndSwap(false, true) {
			return
		}
		s := st.Scope
		defer s.End()
		if err != nil {
			s.Keep()
		}
		logCompletion(ctx, completionLogger(st), name, msg, time.Since(start), err)
	}
}

// completionLogger returns the logger of the scope whose state st is:
// the one given to Start or found on its parent context, else
// slog.Default() now.
func completionLogger(st *scopectx.State) *slog.Logger {
	if st.Logger != nil {
		return st.Logger
	}
	return slog.Default()
}

// logCompletion logs the completion record of a scope that ran for dur
// and ended with err: at ERROR with outcome "error" and the error when
// err is not nil, at INFO with outcome "ok" otherwise.
func logCompletion(ctx context.Context, l *slog.Logger, name, msg string, dur time.Duration, err error) {
	level, outcome := slog.LevelInfo, outcomeOK
	if err != nil {
		level, outcome = slog.LevelError, outcomeError
	}
	if !l.Enabled(ctx, level) {
		return
	}
	var buf [4]slog.Attr
	as := append(buf[:0],
		slog.String("name", name),
		slog.Duration("duration", dur),
		slog.String("outcome", outcome),
	)
	if err != nil {
		as = append(as, slog.Any("error", err))
	}
	l.LogAttrs(ctx, level, msg, as...)
}
