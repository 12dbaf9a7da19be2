package otlpsink

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// TestSlogtest runs testing/slogtest on Stack.Handler: each case's record
// is read back from the server, as the Collector would see it.
func TestSlogtest(t *testing.T) {
	var mu sync.Mutex
	stacks := map[*testing.T]*Stack{}
	servers := map[*testing.T]*collector{}
	newHandler := func(t *testing.T) slog.Handler {
		c := newCollector(t)
		s := newTestStack(t, plainConfig(true), testOptions(c))
		mu.Lock()
		defer mu.Unlock()
		stacks[t], servers[t] = s, c
		return s.Handler()
	}
	result := func(t *testing.T) map[string]any {
		mu.Lock()
		s, c := stacks[t], servers[t]
		mu.Unlock()
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		got := c.received()
		if len(got) != 1 {
			t.Fatalf("server received %d records, want 1", len(got))
		}
		return slogtestMap(got[0])
	}
	slogtest.Run(t, newHandler, result)
}

// slogtestMap is a received record as testing/slogtest reads one.
func slogtestMap(r received) map[string]any {
	m := attrsMap(r.Raw)
	m[slog.MessageKey] = r.Body
	var level slog.Level
	_ = level.UnmarshalText([]byte(r.Severity))
	m[slog.LevelKey] = level
	if r.Time != 0 {
		m[slog.TimeKey] = time.Unix(0, int64(r.Time))
	}
	return m
}

func attrsMap(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.GetKey()] = anyValue(kv.GetValue())
	}
	return m
}

func anyValue(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_KvlistValue:
		return attrsMap(x.KvlistValue.GetValues())
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	default:
		return v.String()
	}
}
