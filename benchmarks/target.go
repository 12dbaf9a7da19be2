package benchmarks

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Options configure how a Target opens its setup.
type Options struct {
	// AddSource adds the call site (file and line) to every record, with
	// each library's own mechanism (slog AddSource, zap AddCaller, zerolog
	// Caller, phuslu Caller).
	AddSource bool
}

// Setup is one logger under test, opened by a Target on a writer.
type Setup struct {
	// Log logs the standard payload once. It is safe for concurrent use.
	Log func()
	// Close flushes what the setup buffers and stops its background work,
	// waiting at most CloseTimeout. It returns the number of records the
	// setup itself counted as dropped (0 for setups that never drop). It
	// is nil for setups with nothing to close.
	Close func() (dropped uint64, err error)
}

// CloseTimeout bounds how long a Setup's Close waits for a backlog to drain.
const CloseTimeout = 30 * time.Second

// Shut calls s.Close if it is set; it returns 0 and nil otherwise.
func (s Setup) Shut() (dropped uint64, err error) {
	if s.Close == nil {
		return 0, nil
	}
	return s.Close()
}

// Target is one logging setup of one library, by name.
type Target struct {
	// Name identifies the target in benchmark names and tables; it never
	// contains '/' or spaces.
	Name string
	// Source reports whether the target honours Options.AddSource; targets
	// that never format a record (the floor, a disabled call) do not.
	Source bool
	// Open builds the setup writing to w.
	Open func(w io.Writer, o Options) Setup
}

// slogSetup returns a Setup that logs the payload through h, bound with
// Bind, at level lvl with LogAttrs and a background context.
func slogSetup(h slog.Handler, lvl slog.Level) Setup {
	l := Bind(slog.New(h))
	ctx := context.Background()
	return Setup{Log: func() { LogAttrs(ctx, l, lvl) }}
}

// TargetsNamed returns the targets of ts whose names are in names, in the
// order of names; unknown names are skipped.
func TargetsNamed(ts []Target, names ...string) []Target {
	var out []Target
	for _, n := range names {
		for _, t := range ts {
			if t.Name == n {
				out = append(out, t)
			}
		}
	}
	return out
}
