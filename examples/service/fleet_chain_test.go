package main

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/sampling"
)

// chainRate is the sampling rate of the chain tests.
const chainRate = 0.1

// recordSequence names the records of one request, in order: "step K",
// "access STATUS", or the message.
func recordSequence(lines []logLine) []string {
	var seq []string
	for _, l := range lines {
		switch msg := l.str("msg"); msg {
		case "work step":
			seq = append(seq, fmt.Sprintf("step %d", l.num("step")))
		case accessMessage:
			seq = append(seq, fmt.Sprintf("access %d", l.num("status")))
		default:
			seq = append(seq, msg)
		}
	}
	return seq
}

// TestChainDecidesAsOne runs two and then three real service processes in
// a chain over loopback (each one's -downstream the next) at a sampling
// rate of 0.1, sends requests with known correlation IDs to the first, and
// checks every instance's log:
//   - /api/v1/work: every instance kept or dropped each request together,
//     and the kept set is exactly the IDs sampling.Decide(id, 0.1) keeps;
//     a kept request is whole at each instance (its steps, its access
//     record) and carries one trace ID across the chain;
//   - /api/v1/fail (the last instance fails; each one before it fails
//     because its downstream did): every instance kept every request whole,
//     in order, marked "error" when the rate had not sampled it;
//   - each instance's report accounts for every record.
func TestChainDecidesAsOne(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) {
			chain := startChain(t, n, []string{fmt.Sprintf("LOG_SAMPLING_RATE=%g", chainRate)})
			client := fleetClient(t)
			const steps = 2
			var calls []*call
			var workIDs, failIDs []string
			for i := range 150 {
				id := fmt.Sprintf("chain%d-work-%03d", n, i)
				workIDs = append(workIDs, id)
				calls = append(calls, &call{id: id, url: fmt.Sprintf("%s/api/v1/work?n=%d", chain[0].url, steps), want: http.StatusOK})
			}
			for i := range 30 {
				id := fmt.Sprintf("chain%d-fail-%03d", n, i)
				failIDs = append(failIDs, id)
				calls = append(calls, &call{id: id, url: fmt.Sprintf("%s/api/v1/fail?n=%d", chain[0].url, steps), want: http.StatusInternalServerError})
			}
			sendAll(t, client, 4, calls)
			stopAll(t, chain)

			byID := make([]map[string][]logLine, n)
			for i, p := range chain {
				all, ids := p.records(t)
				byID[i] = ids
				p.checkAccounted(t, len(all))
			}

			kept := 0
			for _, id := range workIDs {
				want := []string(nil)
				if sampling.Decide(id, chainRate) {
					want = []string{"step 0", "step 1", "access 200"}
					kept++
				}
				var traceIDs []string
				for i := range chain {
					lines := byID[i][id]
					if diff := cmp.Diff(want, recordSequence(lines)); diff != "" {
						t.Errorf("work %s at instance %d (Decide %v): records (-want +got):\n%s", id, i, want != nil, diff)
					}
					for _, l := range lines {
						traceIDs = append(traceIDs, l.str("trace_id"))
					}
				}
				for _, tid := range traceIDs {
					if tid != traceIDs[0] || len(tid) != 32 {
						t.Errorf("work %s: trace IDs %q across the chain, want one", id, traceIDs)
						break
					}
				}
			}
			if kept == 0 || kept == len(workIDs) {
				t.Fatalf("%d of %d work requests sampled: the IDs do not exercise both outcomes", kept, len(workIDs))
			}

			for _, id := range failIDs {
				reason := "error"
				if sampling.Decide(id, chainRate) {
					reason = "rate"
				}
				for i := range chain {
					want := []string{"step 0", "step 1", "downstream call failed", "work failed", "access 500"}
					if i == n-1 {
						want = []string{"step 0", "step 1", "work failed", "access 500"}
					}
					lines := byID[i][id]
					if diff := cmp.Diff(want, recordSequence(lines)); diff != "" {
						t.Errorf("fail %s at instance %d: records (-want +got):\n%s", id, i, diff)
					}
					for _, l := range lines {
						if l.str("_sample_reason") != reason {
							t.Errorf("fail %s at instance %d: %q has _sample_reason %q, want %q", id, i, l.str("msg"), l.str("_sample_reason"), reason)
						}
					}
				}
			}
		})
	}
}
