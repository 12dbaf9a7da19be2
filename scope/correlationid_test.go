package scope

import (
	"context"
	"strings"
	"testing"

	"github.com/slogstack/slogstack/internal/reqscope"
)

func TestNewCorrelationID(t *testing.T) {
	seen := make(map[string]bool)
	for range 10000 {
		id := NewCorrelationID()
		if len(id) != 32 {
			t.Fatalf("len(%q) = %d, want 32", id, len(id))
		}
		for _, c := range id {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				t.Fatalf("%q has a character that is not lower-case hex", id)
			}
		}
		if id == strings.Repeat("0", 32) {
			t.Fatal("all-zero ID")
		}
		if seen[id] {
			t.Fatalf("duplicate ID %q", id)
		}
		seen[id] = true
	}
}

func TestNewCorrelationIDAllocs(t *testing.T) {
	NewCorrelationID() // fill the pool
	if n := testing.AllocsPerRun(1000, func() { _ = NewCorrelationID() }); n > 1 {
		t.Errorf("NewCorrelationID allocates %v times, want at most 1 (the string)", n)
	}
}

func TestCorrelationIDFromContext(t *testing.T) {
	if got := CorrelationID(context.Background()); got != "" {
		t.Errorf("no scope: got %q, want empty", got)
	}
	var nilCtx context.Context // a nil context must not panic
	if got := CorrelationID(nilCtx); got != "" {
		t.Errorf("nil context: got %q, want empty", got)
	}
	ctx := reqscope.NewContext(context.Background(), reqscope.New("abc", noSpan, reqscope.Decision{}))
	if got := CorrelationID(ctx); got != "abc" {
		t.Errorf("got %q, want abc", got)
	}
}
