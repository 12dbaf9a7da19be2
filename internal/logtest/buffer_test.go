package logtest

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBufferConcurrentWrites(t *testing.T) {
	const writers, each = 8, 200
	var b Buffer
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				fmt.Fprintf(&b, "{\"w\":%d,\"i\":%d}\n", w, i)
				_ = b.String() // reads race with writes under -race if unlocked
			}
		})
	}
	wg.Wait()
	lines := b.Lines(t)
	if len(lines) != writers*each {
		t.Fatalf("got %d lines, want %d", len(lines), writers*each)
	}
	next := make([]float64, writers)
	for _, m := range lines {
		w, i := int(m["w"].(float64)), m["i"].(float64)
		if i != next[w] {
			t.Fatalf("writer %d: line %v after %v, want writes in order and whole", w, i, next[w]-1)
		}
		next[w]++
	}
}

func TestBufferBytesIsACopyAndReset(t *testing.T) {
	var b Buffer
	if _, err := b.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	got := b.Bytes()
	got[0] = 'X'
	if _, err := b.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	if b.String() != "abc" || string(got) != "Xb" {
		t.Errorf("String() = %q, Bytes() copy = %q; want %q, %q", b.String(), got, "abc", "Xb")
	}
	b.Reset()
	if b.String() != "" || len(b.Bytes()) != 0 || b.Lines(t) != nil {
		t.Errorf("after Reset: %q", b.String())
	}
}

func TestJSONHandlerDropsOnlyTopLevelTime(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Leveler
		log   func(l *slog.Logger)
		want  []map[string]any
	}{
		{"debug enabled", slog.LevelDebug, func(l *slog.Logger) {
			l.Debug("d", "k", 1)
		}, []map[string]any{{"level": "DEBUG", "msg": "d", "k": 1.0}}},
		{"nil level is info", nil, func(l *slog.Logger) {
			l.Debug("d")
			l.Info("i")
		}, []map[string]any{{"level": "INFO", "msg": "i"}}},
		{"time in a group kept", slog.LevelInfo, func(l *slog.Logger) {
			l.WithGroup("g").Info("m", slog.TimeKey, "t")
		}, []map[string]any{{"level": "INFO", "msg": "m", "g": map[string]any{"time": "t"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Buffer
			tt.log(slog.New(b.JSONHandler(tt.level)))
			if diff := cmp.Diff(tt.want, b.Lines(t)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
