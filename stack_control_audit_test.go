package slogstack

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestControlHandlerAudit checks the one record each change logs, with
// the settings before and after, written even when the new level is above
// INFO, and that a PUT changing nothing logs none.
func TestControlHandlerAudit(t *testing.T) {
	var buf logtest.Buffer
	s := syncStack(t, &buf, nil)
	h := s.ControlHandler()
	defaultSampling := map[string]any{"rate": 0.1, "always_sample_paths": []any{},
		"excluded_paths": []any{"/health", "/healthz", "/livez", "/readyz"}, "follow_trace": false}
	halfSampling := map[string]any{"rate": 0.5, "always_sample_paths": []any{"/pay"},
		"excluded_paths": []any{"/health", "/healthz", "/livez", "/readyz"}, "follow_trace": false}
	for _, body := range []string{
		`{"level":"ERROR"}`,
		`{"level":"ERROR"}`, // no change: no record
		`{"sampling":{"rate":0.5,"always_sample_paths":["/pay"]}}`,
		`{"level":"INFO","sampling":{"rate":0.5}}`,
	} {
		if got := control(h, http.MethodPut, body); got.Status != http.StatusOK {
			t.Fatalf("PUT %s: %+v", body, got)
		}
	}
	lines := buf.Lines(t)
	for _, l := range lines {
		delete(l, "time")
	}
	audit := func(oldLevel, newLevel string, oldSampling, newSampling map[string]any) map[string]any {
		return map[string]any{"level": "INFO", "msg": "logging settings changed", "remote_addr": "192.0.2.1:1234",
			"old": map[string]any{"level": oldLevel, "sampling": oldSampling},
			"new": map[string]any{"level": newLevel, "sampling": newSampling}}
	}
	want := []map[string]any{
		audit("INFO", "ERROR", defaultSampling, defaultSampling),
		audit("ERROR", "ERROR", defaultSampling, halfSampling),
		audit("ERROR", "INFO", halfSampling, halfSampling),
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("audit records (-want +got):\n%s", diff)
	}
	if got := s.Stats().Records; got != 3 {
		t.Errorf("Stats().Records = %d, want 3 (the audit records)", got)
	}
}
