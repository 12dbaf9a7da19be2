package snapshot

import (
	"log/slog"
	"testing"
	"time"
)

// standardRecord is the record of the standard benchmark payload.
func standardRecord() slog.Record {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
	r.AddAttrs(
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/42"),
		slog.Int("status", 200),
		slog.Duration("latency", 1234567*time.Nanosecond),
		slog.Int64("bytes", 5120),
		slog.Bool("ok", true),
	)
	return r
}

// BenchmarkSnapshot compares the two forms of a record's snapshot: a
// slog.Record (Record) and its parts (Kept.Take).
func BenchmarkSnapshot(b *testing.B) {
	r := standardRecord()
	b.Run("record", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Record(r)
		}
	})
	b.Run("kept", func(b *testing.B) {
		b.ReportAllocs()
		var k Kept
		for b.Loop() {
			k.Take(r)
		}
	})
}
