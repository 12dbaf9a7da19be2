package aggregation

import (
	"strings"
	"testing"
)

// TestCutDropsPartialWord checks that a string cut to fit a summary loses
// the partial word at the cut: what is left of a cut card number or token
// would pass redaction below, yet give most of it away. A secret either
// stays whole (and redaction masks it) or goes.
func TestCutDropsPartialWord(t *testing.T) {
	const card, token = "4111111111111111", "abcdefghijklmnopqrstuvwxyz"
	for pad := range 60 {
		s := strings.Repeat("x", 990+pad) + " " + card + " Bearer " + token + " end"
		for _, got := range []string{cutString(s, 1024), (&freezer{maxValue: 1024}).text(s)} {
			kept, ok := strings.CutSuffix(got, ellipsis)
			if !ok || !strings.HasPrefix(s, kept) {
				t.Fatalf("pad %d: %q is not a cut of the value", pad, got[max(len(got)-40, 0):])
			}
			for _, secret := range []string{card, token} {
				if strings.Contains(kept, secret[:4]) && !strings.Contains(kept, secret) {
					t.Fatalf("pad %d: part of %q kept: ...%q", pad, secret, kept[max(len(kept)-40, 0):])
				}
			}
		}
	}
}
