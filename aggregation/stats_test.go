package aggregation

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatsJSON checks that Stats round-trips through encoding/json with
// every counter, so that publishing it (expvar.Func, a metrics endpoint)
// loses nothing.
func TestStatsJSON(t *testing.T) {
	want := Stats{
		Seen: 1, PassedUnmatched: 2, PassedMatched: 3, Folded: 4, FoldedWritten: 5, FoldedFailed: 6,
		FoldedDisabled: 7, FoldedDropped: 8,
		Summaries:         SummaryCounts{Window: 9, MaxCount: 10, RequestEnd: 11, Evicted: 12, Flush: 13},
		SummariesDisabled: 14, SummariesDropped: 15, SummaryErrors: 16, HandlePanics: 17, Collisions: 18,
		GroupsEvicted: 19, GroupsExpired: 20, Groups: 21, Bytes: 22,
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Stats
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, b)
	}
}
