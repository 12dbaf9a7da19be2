package async

import (
	"context"
	"log/slog"
	"testing"
)

// BenchmarkFlushIdle measures Flush with nothing queued.
func BenchmarkFlushIdle(b *testing.B) {
	h := NewHandler(slog.DiscardHandler, DefaultOptions())
	defer h.Close(context.Background())
	for b.Loop() {
		if err := h.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
