package aggregation

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// TestVolume runs a workload shaped like a busy service for a minute of
// (fake) time and measures how many lines aggregation saves:
//
//   - 100 requests a second, each logging one business event ("request
//     handled") and, for a fifth of them, "order placed"; each request runs
//     queries, and the pool logs "Connection pool size" at DEBUG on every
//     query, with the request's context: most requests run 3 queries, list
//     requests (one in five) run 25;
//   - the load balancer's 10 nodes and the kubelet probe /health every
//     second, and the handler logs "Health check completed" without a
//     request context;
//   - a metrics reporter emits "Metric recorded" for 6 gauges every 100 ms.
//
// System lines must drop by more than half, business lines not at all.
func TestVolume(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		seconds := 20
		if testing.Short() {
			seconds = 12
		}
		out := new(logtest.Buffer)
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		var plain logtest.Buffer
		log := slog.New(h)
		ref := slog.New(plain.JSONHandler(slog.LevelDebug))
		both := func(f func(l *slog.Logger)) { f(log); f(ref) }

		rng := rand.New(rand.NewPCG(1, 2))
		var systemIn, businessIn int
		poolSize := 8
		const tick = 10 * time.Millisecond
		for step := 0; step < seconds*int(time.Second/tick); step++ {
			if step%500 == 0 {
				poolSize = 8 + rng.IntN(3) // drifts every five seconds
			}
			// One request per tick.
			scope := reqscope.New(fmt.Sprintf("%032x", rng.Uint64()), trace.SpanContext{}, reqscope.Decision{Sampled: true})
			ctx := reqscope.NewContext(context.Background(), scope)
			queries := 3
			if step%5 == 0 {
				queries = 25
			}
			for range queries {
				both(func(l *slog.Logger) { l.DebugContext(ctx, "Connection pool size", "size", poolSize, "idle", 2) })
				systemIn++
			}
			if step%5 == 1 {
				both(func(l *slog.Logger) { l.InfoContext(ctx, "order placed", "amount_cents", 1999, "currency", "EUR") })
				businessIn++
			}
			both(func(l *slog.Logger) {
				l.InfoContext(ctx, "request handled", "method", "GET", "path", "/api/v1/orders", "status", 200)
			})
			businessIn++
			scope.End()
			if step%100 == 0 { // every second
				for range 11 {
					both(func(l *slog.Logger) { l.Info("Health check completed", "path", "/health", "status", "ok") })
					systemIn++
				}
			}
			if step%10 == 0 { // every 100 ms
				for i := range 6 {
					both(func(l *slog.Logger) { l.Debug("Metric recorded", "name", fmt.Sprintf("gauge.%d", i), "value", i%2) })
					systemIn++
				}
			}
			time.Sleep(tick)
		}
		closeOrFail(t, h)

		isSystem := func(l string) bool {
			return strings.Contains(l, `"msg":"Connection pool size"`) || strings.Contains(l, `"msg":"Health check completed"`) ||
				strings.Contains(l, `"msg":"Metric recorded"`)
		}
		var business, wantBusiness []string
		systemOut := 0
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if isSystem(l) {
				systemOut++
			} else {
				business = append(business, l)
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(plain.String()), "\n") {
			if !isSystem(l) {
				wantBusiness = append(wantBusiness, l)
			}
		}
		reduction := 100 * (1 - float64(systemOut)/float64(systemIn))
		t.Logf("%d s of traffic: system lines %d -> %d (%.1f%% fewer), business lines %d -> %d (%.1f%% fewer)",
			seconds, systemIn, systemOut, reduction, businessIn, len(business),
			100*(1-float64(len(business))/float64(businessIn)))
		st := h.Stats()
		t.Logf("summaries by cause: %+v; groups evicted %d, expired %d", st.Summaries, st.GroupsEvicted, st.GroupsExpired)
		if reduction <= 50 {
			t.Errorf("system lines dropped by %.1f%%, want more than 50%%", reduction)
		}
		if diff := cmp.Diff(wantBusiness, business); diff != "" {
			t.Errorf("business lines changed (-plain +aggregation):\n%s", diff)
		}
		c := count(t, out.Lines(t))
		if c.individual+c.folded != systemIn+businessIn {
			t.Errorf("conservation: %+v, want %d records", c, systemIn+businessIn)
		}
	})
}
