package logtest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for concurrent use: handlers, background
// flushers and the test itself may write to and read from it at the same
// time. The zero value is an empty buffer ready to use. A Buffer must not
// be copied after first use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer as one unit: concurrent writes never
// interleave within a call. It always returns len(p), nil.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written since the last Reset.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of everything written since the last Reset; later
// writes do not change it.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Reset empties the buffer.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Lines decodes the JSON lines written so far, as [DecodeLines] does,
// failing t on any line that is not a JSON object.
func (b *Buffer) Lines(t testing.TB) []map[string]any {
	t.Helper()
	return DecodeLines(t, b.String())
}

// JSONHandler returns a slog.JSONHandler that writes to b, enabled from
// level up, with the top-level time removed by [DropTime] so that its
// output compares exactly. A nil level means slog.LevelInfo.
func (b *Buffer) JSONHandler(level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: level, ReplaceAttr: DropTime})
}
