package otlpsink

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
)

// plainConfig is DefaultConfig with every record kept and none folded, so
// that what the server receives can be compared record by record.
func plainConfig(async bool) slogstack.Config {
	cfg := slogstack.DefaultConfig()
	cfg.Sampling = false
	cfg.Aggregation = false
	cfg.Async = async
	return cfg
}

// testOptions ships to c, with a resource naming the service "test", fast
// exports and fast, short retries.
func testOptions(c *collector) Options {
	return Options{
		Endpoint:       c.server.URL,
		Resource:       resource.NewSchemaless(semconv.ServiceName("test")),
		ExportInterval: 10 * time.Millisecond,
		ExporterOptions: []otlploghttp.Option{otlploghttp.WithRetry(otlploghttp.RetryConfig{
			Enabled: true, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsedTime: 50 * time.Millisecond,
		})},
	}
}

// newTestStack builds a Stack and shuts it down at the end of the test.
func newTestStack(t *testing.T, cfg slogstack.Config, opts Options) *Stack {
	t.Helper()
	s, err := NewStack(t.Context(), cfg, opts)
	if err != nil {
		t.Fatalf("NewStack: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

// checkConserved fails unless st's counters add up.
func checkConserved(t *testing.T, st ExportStats) {
	t.Helper()
	if got := st.Exported + st.Failed + st.Dropped + st.Abandoned + st.Pending; got != st.Handed {
		t.Errorf("Handed %d != Exported+Failed+Dropped+Abandoned+Pending %d: %+v", st.Handed, got, st)
	}
}

// stackWritten is what the stack counts as handed to its sink.
func stackWritten(s *Stack) uint64 {
	st := s.Stats()
	if st.Async == nil {
		return st.Records
	}
	return st.Async.Written + st.Async.Synchronous + st.Async.Reports
}

func TestHealthyServerLosesNothing(t *testing.T) {
	for _, async := range []bool{true, false} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			c := newCollector(t)
			s := newTestStack(t, plainConfig(async), testOptions(c))
			const goroutines, each = 4, 250
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						s.Logger().Info("record", "g", g, "i", i)
						if i%50 == 0 {
							checkConserved(t, s.ExportStats())
						}
					}
				})
			}
			wg.Wait()
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			st := s.ExportStats()
			got := c.received()
			want := ExportStats{Handed: goroutines * each, Exported: goroutines * each, Exports: st.Exports}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("ExportStats (-want +got):\n%s", diff)
			}
			if uint64(len(got)) != st.Exported || stackWritten(s) != st.Handed {
				t.Errorf("server received %d, Exported %d, stack wrote %d, Handed %d", len(got), st.Exported, stackWritten(s), st.Handed)
			}
			seen := map[string]bool{}
			for _, r := range got {
				seen[r.Attrs["g"]+"/"+r.Attrs["i"]] = true
				if r.Service != "test" || r.Scope != bridgeName || r.Body != "record" {
					t.Fatalf("record %+v: want service test, scope %s, body record", r, bridgeName)
				}
			}
			if len(seen) != goroutines*each {
				t.Errorf("%d distinct records received, want %d", len(seen), goroutines*each)
			}
		})
	}
}
