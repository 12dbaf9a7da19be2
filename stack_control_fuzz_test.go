package slogstack

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzControlPut sends any body to the control endpoint: it never panics,
// answers 200 with the settings then in force, or 400/413 with one line
// and the settings unchanged.
func FuzzControlPut(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"level":"debug"}`, `{"level":"WARN+3","sampling":{"rate":0.25,"always_sample_paths":["/a"],"excluded_paths":[],"follow_trace":true}}`,
		`{"sampling":{"rate":1e400}}`, `{"level":null}`, `{"sampling":null}`, `[]`, `{"a":1}`, `{"level":"INFO"} {}`, `{"sampling":{"excluded_paths":[null]}}`,
	} {
		f.Add(seed)
	}
	s, err := NewStack(io.Discard, Config{Sampling: true, Correlation: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	h := s.ControlHandler()
	f.Fuzz(func(t *testing.T, body string) {
		before := control(h, http.MethodGet, "")
		got := control(h, http.MethodPut, body)
		after := control(h, http.MethodGet, "")
		switch got.Status {
		case http.StatusOK:
			if got != after {
				t.Errorf("PUT %q answered %+v; GET then shows %+v", body, got, after)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if after != before {
				t.Errorf("refused PUT %q changed the settings from %s to %s", body, before.Body, after.Body)
			}
			if strings.Count(got.Body, "\n") != 1 || !strings.HasSuffix(got.Body, "\n") {
				t.Errorf("error %q is not one line", got.Body)
			}
		default:
			t.Errorf("PUT %q: status %d", body, got.Status)
		}
	})
}
