package handler

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestAppendIntMatchesStrconv checks appendInt and appendUint against
// strconv for every power of ten and its neighbours, the extremes, and
// random values of every magnitude, appended after existing bytes.
func TestAppendIntMatchesStrconv(t *testing.T) {
	us := []uint64{0, 1, 9, math.MaxUint64, math.MaxUint64 - 1, math.MaxInt64, 1 << 63}
	for _, p := range powersOf10 {
		us = append(us, p-1, p, p+1)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		us = append(us, rng.Uint64()>>rng.IntN(64))
	}
	prefix := []byte(`{"k":`)
	for _, u := range us {
		if got, want := string(appendUint(prefix[:len(prefix):len(prefix)], u)), string(prefix)+strconv.FormatUint(u, 10); got != want {
			t.Fatalf("appendUint(%d) = %q, want %q", u, got, want)
		}
		for _, n := range []int64{int64(u), -int64(u), math.MinInt64, math.MaxInt64} {
			if got, want := string(appendInt(prefix[:len(prefix):len(prefix)], n)), string(prefix)+strconv.FormatInt(n, 10); got != want {
				t.Fatalf("appendInt(%d) = %q, want %q", n, got, want)
			}
		}
	}
}
