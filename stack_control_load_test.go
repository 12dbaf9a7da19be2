package slogstack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// TestPolicyAndLevelChangeUnderLoad changes the policy and the level
// (through Store, Level().Set and the control endpoint) while workers open
// scopes and log: it must be race-free (-race), every scope's records
// follow the decision the scope opened with (all of its INFO records or
// none), and the counters account for every line written.
func TestPolicyAndLevelChangeUnderLoad(t *testing.T) {
	leakcheck.Check(t)
	workers, jobs := 6, 40
	var buf logtest.Buffer
	cfg := DefaultConfig()
	cfg.Aggregation = false // every record is its own line
	cfg.SamplingPolicy.Rate = 0.5
	s, err := NewStack(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	log, admin := s.Logger(), s.ControlHandler()
	done := make(chan struct{})
	var changer sync.WaitGroup
	var changes atomic.Int64 // rounds of changes made; the workers wait for them
	changer.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			// Rates between 0.25 and 0.75 only: whichever the jobs meet,
			// some are sampled and some not, however they are scheduled.
			s.Policy().Store(sampling.Policy{Rate: 0.25 + float64(i%3)/4})
			s.Level().Set([]slog.Level{slog.LevelDebug, slog.LevelInfo}[i%2])
			body := fmt.Sprintf(`{"level":"%v","sampling":{"rate":%v}}`, []string{"info", "debug"}[i%2], 0.25+float64((i+1)%3)/4)
			if got := control(admin, http.MethodPut, body); got.Status != http.StatusOK {
				t.Errorf("PUT %s: %+v", body, got)
			}
			changes.Add(1)
		}
	})
	sampled := make([][]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		sampled[w] = make([]bool, jobs)
		wg.Go(func() {
			for i := range jobs {
				// A round of changes at least every 4 jobs, however the
				// goroutines are scheduled: decisions and changes mix.
				for changes.Load() < int64(i/4+1) {
					runtime.Gosched()
				}
				opts := s.ScopeOptions("/work")
				opts.CorrelationID = fmt.Sprintf("w%d-j%d", w, i)
				opts.CompletionLog = false
				ctx, end := scope.Start(context.Background(), opts)
				d, _ := scope.DecisionOf(ctx)
				sampled[w][i] = d.Sampled
				for k := range 4 {
					log.InfoContext(ctx, "work step", "step", k)
					log.DebugContext(ctx, "detail", "step", k)
				}
				end(nil)
			}
		})
	}
	wg.Wait()
	close(done)
	changer.Wait()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	lines := buf.Lines(t)
	steps := map[string]int{}
	for _, l := range lines {
		if l["msg"] == "work step" {
			steps[fmt.Sprint(l["correlation_id"])]++
		}
	}
	sm, as := st.Sampling, st.Async
	for w := range workers {
		for i := range jobs {
			id := fmt.Sprintf("w%d-j%d", w, i)
			want := map[bool]int{true: 4, false: 0}[sampled[w][i]]
			if steps[id] != want && (as.Dropped == 0 || steps[id] > want) { // a full queue may drop, counted
				t.Errorf("%s: %d of its 4 INFO records written; sampled %v", id, steps[id], sampled[w][i])
			}
		}
	}
	if n, all := sm.RequestsSampled.Total(), uint64(workers*jobs); n == 0 || n == all {
		t.Errorf("the load did not mix decisions and changes: %d of %d jobs sampled, %d rounds of changes", n, all, changes.Load())
	}
	kept := st.Records - (sm.RecordsDropped + sm.RecordsDiscarded + sm.RecordsFiltered + sm.RecordsLostRequestBound + sm.RecordsLostGlobalBudget)
	if want := kept - as.Dropped + as.Reports; uint64(len(lines)) != want {
		t.Errorf("%d lines written; the stats account for %d (records %d, sampling %+v, async %+v)", len(lines), want, st.Records, *sm, *as)
	}
}

// TestControlHandlerConcurrentPuts sends PUTs from many goroutines, each
// through a ControlHandler of its own: each
// is applied whole, one after another, so the audit records form one
// chain (each one's "old" is the previous one's "new") that ends at the
// settings in force.
func TestControlHandlerConcurrentPuts(t *testing.T) {
	var buf logtest.Buffer
	s := syncStack(t, &buf, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		h := s.ControlHandler() // one each: the handlers share the stack's mutex
		wg.Go(func() {
			for i := range 10 {
				rate := float64(g*10+i+1) / 100 // every PUT a rate of its own: every PUT changes something
				level := []string{"DEBUG", "INFO", "WARN"}[(g+i)%3]
				body := fmt.Sprintf(`{"level":%q,"sampling":{"rate":%v,"always_sample_paths":["/g%d"]}}`, level, rate, g)
				if got := control(h, http.MethodPut, body); got.Status != http.StatusOK {
					t.Errorf("PUT %s: %+v", body, got)
				}
			}
		})
	}
	wg.Wait()
	lines := buf.Lines(t)
	if len(lines) != 80 {
		t.Fatalf("%d audit records for 80 changes", len(lines))
	}
	var first controlState
	if err := json.Unmarshal([]byte(defaultControlJSON), &first); err != nil {
		t.Fatal(err)
	}
	prev := asJSONValue(t, first)
	for i, l := range lines {
		if diff := cmp.Diff(prev, l["old"]); diff != "" {
			t.Fatalf("audit record %d: old is not the previous new (-previous new +old):\n%s", i, diff)
		}
		prev = l["new"]
	}
	if diff := cmp.Diff(prev, asJSONValue(t, s.controlState())); diff != "" {
		t.Errorf("the last audit record's new is not the settings in force (-audit +in force):\n%s", diff)
	}
}

// asJSONValue returns v marshalled and decoded into plain JSON values.
func asJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
