package otlpsink

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPermanentErrorCountsFailed(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerBad)
	s := newTestStack(t, plainConfig(true), testOptions(c))
	const n = 300
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	err := s.Shutdown(context.Background())
	st := s.ExportStats()
	if diff := cmp.Diff(ExportStats{Handed: n, Failed: n, Exports: st.Exports, FailedExports: st.Exports, LastError: st.LastError}, st); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
	if st.Exports == 0 || !strings.Contains(st.LastError, "400 Bad Request") || !strings.Contains(st.LastError, "malformed") {
		t.Errorf("Exports %d, LastError %q: want the 400 and its body", st.Exports, st.LastError)
	}
	if err == nil || !strings.Contains(err.Error(), "300 of 300 records not exported: 300 failed") {
		t.Errorf("Shutdown: %v, want the 300 failed records", err)
	}
	if len(c.received()) != 0 {
		t.Errorf("server kept %d records", len(c.received()))
	}
}
