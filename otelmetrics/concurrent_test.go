package otelmetrics

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/internal/leakcheck"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Two readers of one provider collect at the same time as requests are
// served (the SDK may run the callback for both at once): race-free, and
// once the stack is shut down both report exactly Stats. The stack has
// no force key, so the X-Log-Force headers are counted as no_key.
func TestConcurrentReadersEqualStats(t *testing.T) {
	leakcheck.Check(t)
	stack, err := slogstack.NewStackWithSink(noopHandler{}, slogstack.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	readers := []*sdkmetric.ManualReader{sdkmetric.NewManualReader(), sdkmetric.NewManualReader()}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(readers[0]), sdkmetric.WithReader(readers[1]))
	t.Cleanup(func() { _ = provider.Shutdown(t.Context()) })
	if _, err := Register(provider.Meter("slogstack"), stack); err != nil {
		t.Fatal(err)
	}
	h := stack.Middleware(loadMux())
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 300 {
			req := httptest.NewRequest(http.MethodGet, "/work", nil)
			req.Header.Set("X-Log-Force", "v1.123.abc")
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
	for _, r := range readers {
		wg.Go(func() { collectMonotonic(t, r, 20) })
	}
	wg.Wait()
	shutdown(t, stack)

	st := stack.Stats()
	if st.HTTP == nil || st.HTTP.Force.NoKey != 300 {
		t.Fatalf("Stats.HTTP.Force = %+v, want NoKey 300", st.HTTP)
	}
	for i, r := range readers {
		if diff := cmp.Diff(expected(&st), collect(t, r).values); diff != "" {
			t.Errorf("reader %d (-want Stats +got metrics):\n%s", i, diff)
		}
	}
}
