package aggregation

import (
	"context"
	"log/slog"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestPanickingMatcher checks that a Matcher that panics (or ends the
// goroutine) on a record leaves the handler usable: the record is passed
// on unchanged as not matched, the event is counted in HandlePanics, and
// the next records are matched and folded as usual.
func TestPanickingMatcher(t *testing.T) {
	tests := []struct {
		name string
		fail func() // called by the Matcher on the record "boom"
	}{
		{
			name: "panic",
			fail: func() { panic("matcher bug") },
		},
		{
			name: "panic(nil)",
			fail: func() { panic(nil) },
		},
		{
			name: "runtime.Goexit",
			fail: runtime.Goexit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out logtest.Buffer
			o := DefaultOptions()
			o.Burst = 1
			o.Match = func(_ context.Context, r slog.Record) bool {
				if r.Message == "boom" {
					tt.fail()
				}
				return r.Message == poolMsg
			}
			h := NewHandler(out.JSONHandler(slog.LevelDebug), o)
			log := slog.New(h)
			done := make(chan struct{})
			go func() {
				defer close(done)
				log.Info("boom", "k", "v")
			}()
			<-done
			for range 3 {
				log.Info(poolMsg, "size", 1)
			}
			closeOrFail(t, h)

			goexit := tt.name == "runtime.Goexit"
			var want []map[string]any
			if !goexit {
				want = append(want, map[string]any{"level": "INFO", "msg": "boom", "k": "v"})
			}
			want = append(want, map[string]any{"level": "INFO", "msg": poolMsg, "size": 1.0})
			got := out.Lines(t)
			if len(got) != len(want)+1 {
				t.Fatalf("got %d lines, want %d and a summary: %v", len(got), len(want), got)
			}
			for _, m := range got {
				delete(m, "time")
			}
			if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if c := count(t, got); c.folded != 2 || c.summaries != 1 {
				t.Errorf("summaries = %d of %d records, want 1 of 2", c.summaries, c.folded)
			}
			wantStats := Stats{
				Seen: 4, PassedUnmatched: 1, PassedMatched: 1, Folded: 2, FoldedWritten: 2,
				Summaries: SummaryCounts{Flush: 1}, HandlePanics: 1,
			}
			if goexit { // the record never reached the handler's accounting
				wantStats.Seen, wantStats.PassedUnmatched = 3, 0
			}
			if diff := cmp.Diff(wantStats, h.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}
