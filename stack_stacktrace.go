package slogstack

import (
	"log/slog"
	"runtime"
	"strconv"
	"strings"
)

// stacktraceKey is the key of the attribute that carries a record's stack
// trace, the one zap uses.
const stacktraceKey = "stacktrace"

// maxStackFrames bounds the frames of one stack trace: the deepest frames
// past it (the goroutine's entry side) are left out.
const maxStackFrames = 64

// stackSearchFrames bounds the frames read to find the record's own frame:
// the caller's frames plus room for the frames of slog and of handlers
// between the logging call and the stack's top handler.
const stackSearchFrames = maxStackFrames + 64

// traceBytesHint is the room a stack trace's text is built in before it
// needs the heap: a typical trace of about twenty frames fits.
const traceBytesHint = 2048

// stacktraceRule says which records get a stack trace: those at or above
// level, when on.
type stacktraceRule struct {
	on    bool
	level slog.Level
}

// withStacktrace returns r, or, when r is at or above the rule's level
// and at or above minimum (the stack's level), a clone of r with the
// stack trace of the calling goroutine added. The clone leaves the
// caller's record as it was.
func (s stacktraceRule) withStacktrace(r slog.Record, minimum slog.Leveler) slog.Record {
	if !s.on || r.Level < s.level || r.Level < minimum.Level() || loggedByLibrary(r.PC) {
		return r
	}
	trace := captureStack(r.PC)
	r = r.Clone()
	r.AddAttrs(slog.String(stacktraceKey, trace))
	return r
}

// libraryLoggers are the packages whose own records (the access record
// and the panic record of the HTTP middleware, the completion record of a
// scope) get no stack trace: it would show only the library's frames.
// The panic record carries the panic's own stack.
var libraryLoggers = []string{
	"github.com/slogstack/slogstack/httpctx.",
	"github.com/slogstack/slogstack/scope.",
}

// loggedByLibrary reports whether the logging call at pc is in one of
// libraryLoggers.
func loggedByLibrary(pc uintptr) bool {
	if pc == 0 {
		return false
	}
	// CallersFrames, as slog's own Source does: pc may be the call site
	// of an inlined function, which FuncForPC would name instead.
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	for _, p := range libraryLoggers {
		if strings.HasPrefix(f.Function, p) {
			return true
		}
	}
	return false
}

// captureStack returns the stack of the calling goroutine, starting at
// the frame of pc (the record's PC, the logging call) when it is on the
// stack, else after the frames of log/slog and of the stack's top
// handler, at most maxStackFrames frames. Each frame is written as zap
// writes it, "function\n\tfile:line", the frames separated by "\n".
func captureStack(pc uintptr) string {
	var buf [stackSearchFrames]uintptr
	pcs := buf[:runtime.Callers(2, buf[:])] // from the caller of captureStack
	start, found := 0, false
	if pc != 0 {
		for i, p := range pcs {
			if p == pc {
				start, found = i, true
				break
			}
		}
	}
	frames := runtime.CallersFrames(pcs[start:])
	// Built on the goroutine's stack and copied once, at its exact length,
	// so that a held record holds no more than the trace's bytes.
	var scratch [traceBytesHint]byte
	b := scratch[:0]
	n := 0
	for {
		f, more := frames.Next()
		if !found && isLoggingFrame(f.Function) {
			if !more {
				break
			}
			continue
		}
		found = true // every frame from the first of the caller's
		if n > 0 {
			b = append(b, '\n')
		}
		b = append(b, f.Function...)
		b = append(b, "\n\t"...)
		b = append(b, f.File...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(f.Line), 10)
		n++
		if !more || n == maxStackFrames {
			break
		}
	}
	return string(b)
}

// isLoggingFrame reports whether function is one of log/slog's or of the
// stack's top handler, the frames between the logging call and the
// capture.
func isLoggingFrame(function string) bool {
	return strings.HasPrefix(function, "log/slog.") ||
		strings.HasPrefix(function, "github.com/slogstack/slogstack.(*stackHandler).") ||
		strings.HasPrefix(function, "github.com/slogstack/slogstack.stacktraceRule.")
}
