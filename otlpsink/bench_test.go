package otlpsink

import (
	"context"
	"testing"
)

// BenchmarkLogger measures a log call through Stack.Logger with the async
// queue on (the default stack, every record kept), shipping to a local
// OTLP/HTTP server. The caller's cost is the stack's and the queue's; the
// encoding and export run on the pipeline's goroutines.
func BenchmarkLogger(b *testing.B) {
	c := newCollector(b)
	cfg := plainConfig(true)
	s, err := NewStack(context.Background(), cfg, testOptions(c))
	if err != nil {
		b.Fatal(err)
	}
	logger := s.Logger()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		logger.Info("request served", "path", "/api/v1/work", "status", 200, "i", i)
	}
	b.StopTimer()
	_ = s.Shutdown(context.Background())
	st := s.ExportStats()
	b.ReportMetric(float64(st.Exported)/float64(st.Handed+s.Stats().Async.Dropped), "exported/logged")
}
