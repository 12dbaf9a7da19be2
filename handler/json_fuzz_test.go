package handler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzJSONHandlerMatchesSlog builds random records, options and
// With/WithGroup chains from the input and requires JSONHandler to write
// exactly the bytes slog.JSONHandler writes.
func FuzzJSONHandlerMatchesSlog(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := newScenario(data)
		want, got := compareHandlers(sc.opts, sc.run)
		if want != got {
			t.Fatalf("output differs from slog.JSONHandler (-slog +handler):\n%s", cmp.Diff(want, got))
		}
	})
}

// fuzzSeeds are hand-picked starting points: each option combination, the
// ReplaceAttr modes, chains and every value kind.
var fuzzSeeds = [][]byte{
	{},
	{0, 0, 0, 0, 0},
	{1, 8, 0, 0},
	{3, 8, 1, 2, 1, 1, 3, 0, 5, 1},
	{3, 8, 2, 3, 1, 2, 17, 1, 0, 4, 5, 1, 2, 3, 8, 0, 2, 6, 2},
	{3, 8, 3, 4, 0, 5, 1, 1, 17, 2, 17, 3, 0, 9, 9, 1, 10, 14, 3, 3, 15, 2, 16},
	{3, 8, 4, 3, 0, 0, 0, 1, 1, 2, 17, 0, 1, 3, 4, 1, 5, 6, 12, 2, 0, 12, 1, 17, 1, 2, 3, 4, 5},
	{3, 8, 5, 4, 0, 5, 0, 6, 1, 2, 17, 2, 17, 0, 1, 5, 8, 0, 6, 8, 2, 8, 2, 17, 4, 17, 4, 3},
	{1, 4, 3, 2, 1, 3, 14, 9, 1, 3, 14, 10, 0, 0, 5, 6, 140, 200, 3, 3, 14, 11, 0, 3, 3, 2},
	{0, 4, 1, 4, 11, 1, 1, 11, 2, 0, 3, 1, 2, 4, 21, 2, 22, 3, 20, 4, 13, 5, 15, 3, 0, 6, 19, 2},
	{0, 1, 5, 3, 1, 15, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 3, 150, 9, 0, 200, 100, 255, 140},
}
