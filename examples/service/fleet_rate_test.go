package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/sampling"
)

// heldRequest is a GET /api/v1/work?hold=1 the test keeps open: the
// service has answered its header (so it has decided) and waits for the
// end of its request body, which release sends.
type heldRequest struct {
	id      string
	sampled string // X-Log-Sampled of the answer
	body    *io.PipeWriter
	resp    *http.Response
}

// holdRequest opens a held request with n steps and returns once the
// service has answered its header.
func holdRequest(t *testing.T, client *http.Client, base, id string, n int) *heldRequest {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/work?n=%d&hold=1", base, n), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Correlation-ID", id)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("held request %s: status %d", id, resp.StatusCode)
	}
	return &heldRequest{id: id, sampled: resp.Header.Get("X-Log-Sampled"), body: pw, resp: resp}
}

// release ends the held request's body and reads its answer to the end.
func (h *heldRequest) release(t *testing.T) {
	t.Helper()
	h.body.Close()
	defer h.resp.Body.Close()
	if b, err := io.ReadAll(h.resp.Body); err != nil || !strings.Contains(string(b), `"steps"`) {
		t.Errorf("held request %s: answer %q, %v", h.id, b, err)
	}
}

// idsBetween returns n IDs with the prefix whose sampling decision at lo
// and at hi are those given: the test needs requests of each band.
func idsBetween(prefix string, n int, atLo, atHi bool, lo, hi float64) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		if sampling.Decide(id, lo) == atLo && sampling.Decide(id, hi) == atHi {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestRateChangeUnderLoad changes the sampling rate of a running instance
// from 0.1 to 0.5 through PUT /logging on its admin listener while
// clients keep sending requests, and checks its log:
//   - requests held open across the change (the service had decided, and
//     answered X-Log-Sampled, before it) keep their decision: each one is
//     whole or absent as Decide(id, 0.1) says, including those that the new
//     rate would keep;
//   - requests completed before the change follow 0.1, those started after
//     it follow 0.5 (the observed rate moves to the new one), and those
//     racing it follow one of the two, all or none, as their X-Log-Sampled
//     said;
//   - the change is logged once, and the report accounts for every record
//     (nothing lost or written twice).
func TestRateChangeUnderLoad(t *testing.T) {
	const lo, hi, steps = 0.1, 0.5, 3
	p := startProc(t, "instance", []string{"LOG_SAMPLING_RATE=" + strconv.FormatFloat(lo, 'g', -1, 64)}, "-admin-addr", "127.0.0.1:0")
	if p.admin == "" {
		t.Fatalf("no admin address in:\n%s", p.stderr.String())
	}
	client := fleetClient(t)
	work := func(prefix string, n int) []*call {
		calls := make([]*call, n)
		for i := range calls {
			calls[i] = &call{id: fmt.Sprintf("%s-%03d", prefix, i), url: fmt.Sprintf("%s/api/v1/work?n=%d", p.url, steps), want: http.StatusOK}
		}
		return calls
	}

	// Held requests of the three bands: kept at both rates, kept only at
	// the new one, kept at neither.
	var held []*heldRequest
	for _, band := range [][2]bool{{true, true}, {false, true}, {false, false}} {
		for _, id := range idsBetween(fmt.Sprintf("held-%v-%v", band[0], band[1]), 3, band[0], band[1], lo, hi) {
			held = append(held, holdRequest(t, client, p.url, id, steps))
		}
	}
	before := work("before", 100)
	sendAll(t, client, 4, before)

	// Load that races the change: the PUT is sent once the clients have
	// had racingCalls answers, and they stop once they have had as many
	// more.
	const racingCalls = 60
	var during []*call
	var mu sync.Mutex
	answered := 0
	warm, enough := make(chan struct{}), make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c := &call{id: fmt.Sprintf("during-%d-%d", w, i), url: fmt.Sprintf("%s/api/v1/work?n=%d", p.url, steps), want: http.StatusOK}
				c.send(client)
				mu.Lock()
				during = append(during, c)
				answered++
				switch answered {
				case racingCalls:
					close(warm)
				case 2 * racingCalls:
					close(enough)
				}
				mu.Unlock()
			}
		})
	}
	<-warm
	status, answer := put(t, client, p.admin+"/logging", `{"sampling":{"rate":0.5}}`)
	<-enough
	close(stop)
	wg.Wait()
	if status != http.StatusOK || !strings.Contains(answer, `"rate":0.5`) {
		t.Fatalf("PUT /logging: %d %s", status, answer)
	}
	var state struct{ Sampling struct{ Rate float64 } }
	getJSON(t, client, p.admin+"/logging", &state)
	if state.Sampling.Rate != hi {
		t.Fatalf("GET /logging after the PUT: rate %v, want %v", state.Sampling.Rate, hi)
	}

	after := work("after", 200)
	sendAll(t, client, 4, after)
	for _, h := range held {
		h.release(t)
	}
	p.stop(t)
	all, byID := p.records(t)
	p.checkAccounted(t, len(all))

	whole := []string{"step 0", "step 1", "step 2", "access 200"}
	check := func(what, id string, kept bool) {
		t.Helper()
		var want []string
		if kept {
			want = whole
		}
		if diff := cmp.Diff(want, recordSequence(byID[id])); diff != "" {
			t.Errorf("%s %s (kept %v): records (-want +got):\n%s", what, id, kept, diff)
		}
	}
	for _, h := range held {
		kept := sampling.Decide(h.id, lo)
		if h.sampled != strconv.FormatBool(kept) {
			t.Errorf("held %s: X-Log-Sampled %q, want %v", h.id, h.sampled, kept)
		}
		check("held", h.id, kept)
	}
	for _, c := range before {
		check("before", c.id, sampling.Decide(c.id, lo))
	}
	keptAfter := 0
	for _, c := range after {
		kept := sampling.Decide(c.id, hi)
		if kept {
			keptAfter++
		}
		if c.sampled != strconv.FormatBool(kept) {
			t.Errorf("after %s: X-Log-Sampled %q, want %v", c.id, c.sampled, kept)
		}
		check("after", c.id, kept)
	}
	if keptAfter < len(after)/3 || keptAfter > 2*len(after)/3 {
		t.Errorf("%d of %d requests after the change kept, want about half", keptAfter, len(after))
	}
	for _, c := range during {
		if c.err != nil || c.status != http.StatusOK {
			t.Fatalf("during %s: status %d, %v", c.id, c.status, c.err)
		}
		kept := c.sampled == "true"
		if kept != sampling.Decide(c.id, lo) && kept != sampling.Decide(c.id, hi) {
			t.Errorf("during %s: X-Log-Sampled %q, neither rate's decision", c.id, c.sampled)
		}
		check("during", c.id, kept)
	}
	if got := countMsg(all, "logging settings changed"); got != 1 {
		t.Errorf("%d records of the change, want 1", got)
	}
	t.Logf("%d requests raced the change", len(during))
}
