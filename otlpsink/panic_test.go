package otlpsink

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
)

// panickingTransport panics on its first round trip, then sends requests.
type panickingTransport struct{ calls atomic.Int64 }

func (p *panickingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.calls.Add(1) == 1 {
		panic("transport bug")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestPanickingExporterCountsFailed: an exporter that panics (here the
// HTTP client's transport, given in ExporterOptions) fails its export,
// counted, instead of ending the process from the batch processor's
// goroutine; the exports after it go on.
func TestPanickingExporterCountsFailed(t *testing.T) {
	checkNoLeak(t)
	c := newCollector(t)
	opts := testOptions(c)
	opts.BatchSize = 10
	opts.ExportInterval = time.Hour // exports of 10 records, the first one panicking
	opts.ExporterOptions = append(opts.ExporterOptions, otlploghttp.WithHTTPClient(&http.Client{Transport: &panickingTransport{}}))
	s := newTestStack(t, plainConfig(false), opts)
	for i := range 20 {
		s.Logger().Info("record", "i", i)
	}
	err := s.Shutdown(context.Background())
	st := s.ExportStats()
	want := ExportStats{Handed: 20, Exported: 10, Failed: 10, Exports: max(st.Exports, 2), FailedExports: 1, LastError: st.LastError}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if !strings.Contains(st.LastError, "transport bug") || err == nil || !strings.Contains(err.Error(), "10 failed") {
		t.Errorf("LastError %q, Shutdown %v: want the panic reported and the 10 failed records", st.LastError, err)
	}
	if got := len(c.received()); got != 10 {
		t.Errorf("server received %d records, want 10", got)
	}
}
