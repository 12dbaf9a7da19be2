package httpctx

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// requestPlan is what one request of the integration test does.
type requestPlan struct {
	id       string
	path     string // "/work" or an excluded path
	records  int    // INFO records logged before the end
	ending   string // "ok", "error" (an ERROR record), "5xx" or "panic"
	header   string // X-Log-Sampled as received ("" when the request panicked)
	clientOK bool
}

// TestIntegrationWholeRequests runs 2,000 concurrent requests through a
// real server, the middleware and the stack httpctx.Handler ->
// sampling.Handler -> JSON sink. Each request has a random ID and logs a
// random number of records, and some end in an ERROR record, a 5xx or a
// panic. For every request, either all its records are written, in order,
// or none; every request that ended in an error is written in full;
// X-Log-Sampled agrees with what was written; excluded paths write nothing
// unless they error.
func TestIntegrationWholeRequests(t *testing.T) {
	leakcheck.Check(t)
	const rate = 0.3
	requests := 2000
	if testing.Short() {
		requests = 500
	}
	var sink logtest.Buffer
	samp := sampling.NewHandler(sink.JSONHandler(slog.LevelDebug), sampling.DefaultOptions())
	logger := slog.New(scope.NewHandler(samp, scope.HandlerOptions{}))
	policy := sampling.DefaultPolicy()
	policy.Rate = rate
	m := newMiddleware(withDefaults(Options{Logger: logger, Policy: policy}))

	mux := http.NewServeMux()
	work := func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		ending := r.URL.Query().Get("end")
		log := scope.Logger(r.Context())
		for i := range n {
			if i%2 == 0 {
				log.Info("step", "seq", i)
			} else {
				logger.InfoContext(r.Context(), "step", "seq", i)
			}
		}
		switch ending {
		case "error":
			log.Error("failed", "seq", n)
		case "5xx":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "panic":
			panic("boom")
		}
		_, _ = io.WriteString(w, "done")
	}
	mux.HandleFunc("/work", work)
	mux.HandleFunc("/healthz", work)
	srv := quietServer(m.Handler(mux))
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxConnsPerHost = 64
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	rng := rand.New(rand.NewPCG(1, 2))
	plans := make([]*requestPlan, requests)
	endings := []string{"ok", "ok", "ok", "ok", "error", "5xx", "panic"}
	for i := range plans {
		p := &requestPlan{
			id:      fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()),
			path:    "/work",
			records: rng.IntN(16),
			ending:  endings[rng.IntN(len(endings))],
		}
		if rng.IntN(8) == 0 {
			p.path = "/healthz"
		}
		plans[i] = p
	}

	// Stats may be read at any time, also while requests run.
	stop := make(chan struct{})
	var polls sync.WaitGroup
	polls.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if s := m.Stats(); s.Sampled+s.NotSampled > s.Requests {
				t.Errorf("decisions %d+%d exceed requests %d", s.Sampled, s.NotSampled, s.Requests)
			}
			_ = samp.Stats()
		}
	})

	var wg sync.WaitGroup
	for _, p := range plans {
		wg.Go(func() {
			url := fmt.Sprintf("%s%s?n=%d&end=%s", srv.URL, p.path, p.records, p.ending)
			// POST: a request the server aborts (a re-raised panic) must
			// not be retried by the transport.
			req, _ := http.NewRequest("POST", url, nil)
			req.Header.Set("X-Correlation-ID", p.id)
			resp, err := client.Do(req)
			if err != nil {
				return // the panicking requests: the connection is aborted
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			p.clientOK = true
			p.header = resp.Header.Get("X-Log-Sampled")
			if got := resp.Header.Get("X-Correlation-ID"); got != p.id {
				t.Errorf("X-Correlation-ID %q, want %q", got, p.id)
			}
		})
	}
	wg.Wait()
	close(stop)
	polls.Wait()
	client.CloseIdleConnections()

	byID := make(map[string][]map[string]any)
	for _, r := range sink.Lines(t) {
		id, _ := r["correlation_id"].(string)
		byID[id] = append(byID[id], r)
	}
	if len(byID[""]) != 0 {
		t.Errorf("%d records without correlation_id", len(byID[""]))
	}

	var written, errored int
	for _, p := range plans {
		recs := byID[p.id]
		errorEnding := p.ending != "ok"
		if p.ending == "panic" {
			if p.clientOK {
				t.Errorf("%s: panicking request got a response", p.id)
			}
		} else if !p.clientOK {
			t.Errorf("%s: request failed", p.id)
			continue
		}
		if errorEnding {
			errored++
		}
		if len(recs) == 0 {
			if errorEnding {
				t.Errorf("%s (%s, %s): errored but nothing written", p.id, p.path, p.ending)
			}
			if p.header != "false" && p.ending != "panic" {
				t.Errorf("%s: nothing written but X-Log-Sampled=%q", p.id, p.header)
			}
			if !errorEnding && p.path == "/work" && sampling.Decide(p.id, rate) {
				t.Errorf("%s: sampled by its ID but nothing written", p.id)
			}
			continue
		}
		written++
		if p.path == "/healthz" && !errorEnding {
			t.Errorf("%s: excluded path wrote %d records without an error", p.id, len(recs))
		}
		if p.ending != "panic" && p.header != "true" {
			t.Errorf("%s: records written but X-Log-Sampled=%q", p.id, p.header)
		}
		// All records, in order: the steps, then the ending's records,
		// then the access record.
		var want []string
		for i := range p.records {
			want = append(want, "step "+strconv.Itoa(i))
		}
		switch p.ending {
		case "error":
			want = append(want, "failed "+strconv.Itoa(p.records))
		case "panic":
			want = append(want, panicMessage+" -")
		}
		want = append(want, defaultAccessMessage+" -")
		var got []string
		for _, r := range recs {
			seq := "-"
			if s, ok := r["seq"].(float64); ok {
				seq = strconv.Itoa(int(s))
			}
			got = append(got, r["msg"].(string)+" "+seq)
			if r["_sampled"] != true {
				t.Errorf("%s: written record without _sampled=true: %v", p.id, r)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s (%s, %s): records\n got %q\nwant %q", p.id, p.path, p.ending, got, want)
		}
	}
	st := m.Stats()
	if st.Requests != uint64(requests) || st.Panics == 0 || st.ServerErrorKeeps == 0 {
		t.Errorf("middleware stats %+v", st)
	}
	ss := samp.Stats()
	if ss.BufferedRecords != 0 || ss.RecordsLostGlobalBudget != 0 || ss.RecordsLostRequestBound != 0 {
		t.Errorf("sampling stats: %+v", ss)
	}
	t.Logf("%d requests, %d with an error ending, %d written; sampling %+v", requests, errored, written, ss)
}
