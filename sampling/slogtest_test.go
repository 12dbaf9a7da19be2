package sampling

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// inScope is a handler that hands every record to h in ctx, the context of
// a request scope: testing/slogtest logs without a context.
type inScope struct {
	h   slog.Handler
	ctx context.Context
}

func (s inScope) Enabled(_ context.Context, l slog.Level) bool { return s.h.Enabled(s.ctx, l) }
func (s inScope) Handle(_ context.Context, r slog.Record) error {
	return s.h.Handle(s.ctx, r)
}
func (s inScope) WithAttrs(as []slog.Attr) slog.Handler { return inScope{s.h.WithAttrs(as), s.ctx} }
func (s inScope) WithGroup(n string) slog.Handler       { return inScope{s.h.WithGroup(n), s.ctx} }

// TestSlogtest runs testing/slogtest against the Handler without a scope,
// with a sampled scope, with a scope kept before logging, and with a scope
// whose record is buffered and written by Keep just before the result is
// read, so the replay through the WithAttrs/WithGroup chain is checked too.
func TestSlogtest(t *testing.T) {
	for _, mode := range []string{"no scope", "sampled", "kept", "buffered then kept"} {
		t.Run(mode, func(t *testing.T) {
			var buf strings.Builder
			var scope *reqscope.Scope
			newHandler := func(*testing.T) slog.Handler {
				buf.Reset()
				next := slog.NewJSONHandler(&buf, nil)
				h := NewHandler(next, DefaultOptions())
				if mode == "no scope" {
					return h
				}
				d := notSampled
				if mode == "sampled" {
					d = sampledBy
				}
				var ctx context.Context
				ctx, scope = open(d)
				if mode == "kept" {
					scope.Keep()
				}
				return inScope{h, ctx}
			}
			result := func(t *testing.T) map[string]any {
				if mode == "buffered then kept" {
					if buf.Len() != 0 {
						t.Fatalf("written before Keep: %s", buf.String())
					}
					scope.Keep()
				}
				if scope != nil {
					scope.End()
				}
				line := strings.TrimSpace(buf.String())
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				if mode != "no scope" {
					// The annotations sit at the top level, beside what
					// slogtest checks, whatever groups are open.
					if m[sampledKey] != true || m[sampleRateKey] != 0.1 || m[sampleReasonKey] == nil {
						t.Errorf("record without the sampling annotations at the top level: %v", m)
					}
				}
				return m
			}
			slogtest.Run(t, newHandler, result)
		})
	}
}
