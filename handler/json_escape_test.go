package handler

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// wordNeedsEscapeSlow is the byte-by-byte definition of wordNeedsEscape.
func wordNeedsEscapeSlow(w uint64) bool {
	for i := range 8 {
		if !safeASCII[byte(w>>(8*i))] {
			return true
		}
	}
	return false
}

// TestWordNeedsEscape checks the eight-bytes-at-a-time test against the
// byte table: every byte value in every position of safe words, and random
// words.
func TestWordNeedsEscape(t *testing.T) {
	const safeWord = 0x6162636465666768 // "abcdefgh"
	for pos := range 8 {
		for c := range 256 {
			w := safeWord&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			if got, want := wordNeedsEscape(w), wordNeedsEscapeSlow(w); got != want {
				t.Fatalf("wordNeedsEscape(%#x) = %v, want %v", w, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		w := rng.Uint64()
		if rng.IntN(2) == 0 {
			w &^= highs // mostly ASCII, where the arithmetic matters
		}
		if got, want := wordNeedsEscape(w), wordNeedsEscapeSlow(w); got != want {
			t.Fatalf("wordNeedsEscape(%#x) = %v, want %v", w, got, want)
		}
	}
}

// TestSafePrefixLen checks the prefix length against the byte table for
// unsafe bytes at every position of strings of several lengths.
func TestSafePrefixLen(t *testing.T) {
	for n := range 40 {
		for pos := range n + 1 {
			for _, c := range []byte{'"', '\\', '\n', 0, 0x1f, 0x80, 0xff, 'a'} {
				b := []byte(strings.Repeat("x", n))
				if pos < n {
					b[pos] = c
				}
				want := n
				for i, c := range b {
					if !safeASCII[c] {
						want = i
						break
					}
				}
				if got := safePrefixLen(string(b)); got != want {
					t.Fatalf("safePrefixLen(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

// TestAppendNanoFraction checks the fraction against time.Format's
// RFC3339Nano fraction for edge values and random ones.
func TestAppendNanoFraction(t *testing.T) {
	values := []int{0, 1, 9, 10, 99, 100, 999_999_999, 500_000_000, 123_456_789, 100_000_000, 10_000_000, 120_000_000}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 10000 {
		values = append(values, rng.IntN(1e9))
	}
	for _, ns := range values {
		full := time.Unix(0, int64(ns)).UTC().Format(time.RFC3339Nano)
		want := strings.TrimSuffix(full[len("1970-01-01T00:00:00"):], "Z")
		if got := string(appendNanoFraction(nil, ns)); got != want {
			t.Fatalf("appendNanoFraction(%d) = %q, want %q", ns, got, want)
		}
	}
}
