package aggregation

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"testing/slogtest"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestSlogtest runs testing/slogtest against the handler: with the default
// matcher (records pass unchanged) and with every record a system record
// (records go through the group key and the burst allowance).
func TestSlogtest(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"default", DefaultOptions()},
		{"every record a system record", defaultsWith(func(o *Options) { o.Match = func(context.Context, slog.Record) bool { return true } })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			var buf bytes.Buffer
			var handlers []*Handler
			newHandler := func(*testing.T) slog.Handler {
				buf.Reset()
				h := NewHandler(slog.NewJSONHandler(&buf, nil), tt.opts)
				handlers = append(handlers, h)
				return h
			}
			result := func(t *testing.T) map[string]any {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				return m
			}
			slogtest.Run(t, newHandler, result)
			for _, h := range handlers {
				closeOrFail(t, h)
			}
		})
	}
}
