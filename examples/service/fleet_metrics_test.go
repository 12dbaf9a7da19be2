package main

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/slogstack/slogstack"
)

// series names one Prometheus series: the family and its labels, the
// OpenTelemetry scope's labels aside ("name{k=v,...}").
type series string

// scrape reads the admin listener's /metrics and returns every slogstack
// series with its value.
func scrape(t *testing.T, client *http.Client, admin string) map[series]float64 {
	t.Helper()
	resp, err := client.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s: %s", resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics: not the Prometheus text format: %v", err)
	}
	out := map[series]float64{}
	for name, f := range families {
		if !strings.HasPrefix(name, "slogstack_") {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				if !strings.HasPrefix(l.GetName(), "otel_scope_") {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
			}
			sort.Strings(labels)
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
			out[series(name+"{"+strings.Join(labels, ",")+"}")] = v
		}
	}
	return out
}

// statsVars reads the stack's Stats from the admin listener's /debug/vars.
func statsVars(t *testing.T, client *http.Client, admin string) slogstack.Stats {
	t.Helper()
	var vars struct{ Slogstack slogstack.Stats }
	getJSON(t, client, admin+"/debug/vars", &vars)
	return vars.Slogstack
}

// metricsOfStats is the table of series the test compares with the Stats
// field each one reports: the stack's records, and of each layer what a
// load exercises (requests by decision and reason, correlation ID
// sources, sampling outcomes, folds and summaries, redactions by rule,
// the async queue's writes and high water, forced-sampling tokens).
var metricsOfStats = map[series]func(slogstack.Stats) uint64{
	"slogstack_records_total{}":                                           func(s slogstack.Stats) uint64 { return s.Records },
	"slogstack_http_requests_total{}":                                     func(s slogstack.Stats) uint64 { return s.HTTP.Requests },
	"slogstack_http_decisions_total{decision=sampled}":                    func(s slogstack.Stats) uint64 { return s.HTTP.Sampled },
	"slogstack_http_decisions_total{decision=not_sampled}":                func(s slogstack.Stats) uint64 { return s.HTTP.NotSampled },
	"slogstack_http_decision_reasons_total{reason=rate}":                  func(s slogstack.Stats) uint64 { return s.HTTP.Reasons.Rate },
	"slogstack_http_decision_reasons_total{reason=path}":                  func(s slogstack.Stats) uint64 { return s.HTTP.Reasons.Path },
	"slogstack_http_decision_reasons_total{reason=excluded}":              func(s slogstack.Stats) uint64 { return s.HTTP.Reasons.Excluded },
	"slogstack_http_decision_reasons_total{reason=forced}":                func(s slogstack.Stats) uint64 { return s.HTTP.Reasons.Forced },
	"slogstack_http_force_tokens_total{outcome=accepted}":                 func(s slogstack.Stats) uint64 { return s.HTTP.Force.Accepted },
	"slogstack_http_force_tokens_total{outcome=forged}":                   func(s slogstack.Stats) uint64 { return s.HTTP.Force.Forged },
	"slogstack_http_kept_requests_total{}":                                func(s slogstack.Stats) uint64 { return s.HTTP.Kept },
	"slogstack_http_correlation_ids_total{source=correlation_header}":     func(s slogstack.Stats) uint64 { return s.HTTP.IDs.FromCorrelationHeader },
	"slogstack_http_correlation_ids_total{source=traceparent}":            func(s slogstack.Stats) uint64 { return s.HTTP.IDs.FromTraceparent },
	"slogstack_sampling_buffered_records_total{outcome=rescued}":          func(s slogstack.Stats) uint64 { return s.Sampling.RecordsRescued },
	"slogstack_sampling_buffered_records_total{outcome=dropped}":          func(s slogstack.Stats) uint64 { return s.Sampling.RecordsDropped },
	"slogstack_sampling_records_total{outcome=passed}":                    func(s slogstack.Stats) uint64 { return s.Sampling.RecordsPassed },
	"slogstack_sampling_ended_requests_total{outcome=kept}":               func(s slogstack.Stats) uint64 { return s.Sampling.RequestsKept },
	"slogstack_aggregation_records_total{outcome=folded}":                 func(s slogstack.Stats) uint64 { return s.Aggregation.Folded },
	"slogstack_aggregation_summaries_total{cause=max_count}":              func(s slogstack.Stats) uint64 { return s.Aggregation.Summaries.MaxCount },
	"slogstack_aggregation_summaries_total{cause=request_end}":            func(s slogstack.Stats) uint64 { return s.Aggregation.Summaries.RequestEnd },
	"slogstack_redact_masks_total{rule=key}":                              func(s slogstack.Stats) uint64 { return s.Redact.KeyMasked },
	"slogstack_async_records_total{outcome=written}":                      func(s slogstack.Stats) uint64 { return s.Async.Written },
	"slogstack_async_queue_high_water{}":                                  func(s slogstack.Stats) uint64 { return uint64(s.Async.HighWater) },
	"slogstack_async_records_total{outcome=dropped}":                      func(s slogstack.Stats) uint64 { return s.Async.Dropped },
	"slogstack_sampling_requests_total{decision=not_sampled,reason=rate}": func(s slogstack.Stats) uint64 { return s.Sampling.RequestsNotSampled.Rate },
	"slogstack_sampling_requests_total{decision=sampled,reason=path}":     func(s slogstack.Stats) uint64 { return s.Sampling.RequestsSampled.Path },
}

// TestMetricsEqualStats runs an instance with an admin listener under the
// service's own load mix (errors, folds, secrets, traced callers) and a
// few requests with valid and forged forced-sampling tokens, then
// reads /metrics (the OpenTelemetry Prometheus exporter over
// otelmetrics.Register) and /debug/vars (Stack.Stats through expvar) on
// the admin listener, and checks that every series of the table equals
// the Stats field it reports, from one quiet moment (two equal Stats
// reads around the scrape), with the counters exercised.
func TestMetricsEqualStats(t *testing.T) {
	p := startProc(t, "instance", []string{"LOG_FORCE_KEY=" + testForceKey}, "-admin-addr", "127.0.0.1:0")
	client := fleetClient(t)
	load := runLoad(context.Background(), p.url, 4, 1500*time.Millisecond)
	if load.Requests.Load() == 0 || load.Failures.Load() != 0 {
		t.Fatalf("load: %d requests, %d transport errors", load.Requests.Load(), load.Failures.Load())
	}
	// Forced requests: two with a valid token, one forged.
	expiry := time.Now().Add(time.Hour)
	var forced []*call
	for _, tok := range []struct{ key, id string }{{testForceKey, "metrics-1"}, {testForceKey, "metrics-2"}, {"another-key-0123456789", "metrics-3"}} {
		forced = append(forced, &call{id: tok.id, url: p.url + "/api/v1/work", want: http.StatusOK,
			header: http.Header{"X-Log-Force": {handMintedToken(tok.key, tok.id, expiry)}}})
	}
	sendAll(t, client, 1, forced)

	var st slogstack.Stats
	var got map[series]float64
	for try := 0; ; try++ {
		before := statsVars(t, client, p.admin)
		got = scrape(t, client, p.admin)
		st = statsVars(t, client, p.admin)
		if reflect.DeepEqual(before, st) {
			break
		}
		if try == 1000 {
			t.Fatal("the stack's counters did not settle after the load")
		}
	}
	if st.HTTP == nil || st.Sampling == nil || st.Aggregation == nil || st.Redact == nil || st.Async == nil {
		t.Fatalf("Stats lack a layer: %+v", st)
	}
	for s, field := range metricsOfStats {
		v, ok := got[s]
		if !ok {
			t.Errorf("/metrics has no series %s", s)
			continue
		}
		if want := field(st); v != float64(want) {
			t.Errorf("%s = %v, Stats says %d", s, v, want)
		}
	}
	// The load exercised what the table compares.
	for _, s := range []series{"slogstack_sampling_buffered_records_total{outcome=rescued}", "slogstack_aggregation_records_total{outcome=folded}",
		"slogstack_redact_masks_total{rule=key}", "slogstack_http_decision_reasons_total{reason=path}", "slogstack_sampling_buffered_records_total{outcome=dropped}",
		"slogstack_http_force_tokens_total{outcome=accepted}", "slogstack_http_force_tokens_total{outcome=forged}"} {
		if got[s] == 0 {
			t.Errorf("%s is 0: the load did not exercise it", s)
		}
	}
	p.stop(t)
}
