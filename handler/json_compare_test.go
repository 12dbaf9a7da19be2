package handler

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJSONHandlerMatchesSlogRandom is the differential test run on every
// `go test`: many random scenarios, each compared byte for byte with
// slog.JSONHandler.
func TestJSONHandlerMatchesSlogRandom(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 1000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 512)
	for i := range n {
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		sc := newScenario(data)
		want, got := compareHandlers(sc.opts, sc.run)
		if want != got {
			t.Fatalf("case %d: output differs from slog.JSONHandler (-slog +handler):\n%s\ninput: %q", i, cmp.Diff(want, got), data)
		}
	}
}
