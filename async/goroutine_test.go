package async

import (
	"context"
	"log/slog"
	"testing"
)

// TestGoroutineIDIsPerGoroutine: the id is not zero, the same on one
// goroutine, and different on another.
func TestGoroutineIDIsPerGoroutine(t *testing.T) {
	id := goroutineID()
	if id == 0 || goroutineID() != id {
		t.Fatalf("goroutineID() = %d, then %d: want one nonzero id", id, goroutineID())
	}
	other := make(chan uint64)
	go func() { other <- goroutineID() }()
	if o := <-other; o == 0 || o == id {
		t.Fatalf("another goroutine's id = %d, this one's %d: want a different nonzero id", o, id)
	}
}

// BenchmarkGoroutineID measures what the sink check adds to Flush and
// Close (never to Handle or Write).
func BenchmarkGoroutineID(b *testing.B) {
	for b.Loop() {
		goroutineID()
	}
}

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
