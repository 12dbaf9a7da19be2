package redact

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slogstack/slogstack/handler"
)

// heapInUse returns the bytes of live heap objects after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestKeysDoNotPinTheirBuffers logs records whose keys are short
// substrings of large buffers (as zero-copy parsers make them), each buffer
// dropped after its record: redaction remembers no key by the buffer
// holding it, so the buffers are freed and the heap does not grow by them.
func TestKeysDoNotPinTheirBuffers(t *testing.T) {
	const buffers, bufferSize = 400, 64 << 10
	for _, sink := range []struct {
		name string
		next slog.Handler
	}{
		{"handler.JSONHandler", handler.NewJSONHandler(io.Discard, nil)},
		{"pass-through", passThrough{handler.NewJSONHandler(io.Discard, nil)}},
	} {
		h := NewHandler(sink.next, DefaultOptions())
		logOne := func(i int) {
			buf := strings.Repeat("x", bufferSize) + "user_name" + string(rune('a'+i%26)) + strings.Repeat("y", 16)
			key := buf[bufferSize : bufferSize+10]
			r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
			r.AddAttrs(slog.String(key, "v"))
			if err := h.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
		logOne(0)
		before := heapInUse()
		for i := range buffers {
			logOne(i)
		}
		after := heapInUse()
		runtime.KeepAlive(h)
		if grown := int64(after) - int64(before); grown > 2*bufferSize*8 {
			t.Errorf("%s: heap grew by %d bytes after %d records with keys in %d-byte buffers", sink.name, grown, buffers, bufferSize)
		}
	}
}
