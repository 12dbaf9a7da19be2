package scope

import (
	"context"
	"log/slog"
	"runtime"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
)

// bigValueKey is the key of a large value layered on a scope's context.
type bigValueKey struct{}

// TestSpanCacheFreedWhenScopeEnds: the handler remembers, on the scope,
// the last context a record of the scope was logged with, and so keeps
// that context and its values alive; once the scope has ended (while its
// own context is still referenced, as a request's often is), the context
// and its values are freed. Before the end, they are kept (the check that
// the measure sees them).
func TestSpanCacheFreedWhenScopeEnds(t *testing.T) {
	const big = 32 << 20
	l := slog.New(NewHandler(logtest.Nop{}, HandlerOptions{}))
	for _, ended := range []bool{false, true} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		scopeCtx, end := scopedContext("m", testSpanContext)
		func() {
			ctx := context.WithValue(scopeCtx, bigValueKey{}, make([]byte, big))
			l.InfoContext(ctx, "m")
		}()
		if ended {
			end(nil)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		if ended && grew >= big/2 {
			t.Errorf("after the scope ended, the heap still holds %d bytes of the context a record was logged with", grew)
		}
		if !ended && grew < big/2 {
			t.Errorf("before the scope ended, the heap grew %d bytes, want the context kept (%d bytes)", grew, big)
		}
		runtime.KeepAlive(scopeCtx)
		end(nil)
	}
}
