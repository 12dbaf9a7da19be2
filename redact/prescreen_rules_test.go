package redact

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// textAllRules is Redactor.text without the pre-screen: every enabled
// built-in rule runs on every string. It is the reference that
// TestPrescreenMasksWhatEveryRuleMasks holds text to.
func (x *Redactor) textAllRules(s string, t *tally) (string, bool) {
	var spans []span
	for p := pattern(0); p < patCustom; p++ {
		if x.enabled&(1<<p) == 0 {
			continue
		}
		spans = x.findBuiltin(p, s, t, spans)
	}
	if len(spans) == 0 {
		return s, false
	}
	return x.apply(s, spans, t), true
}

// TestPrescreenMasksWhatEveryRuleMasks checks, on random strings made of
// the secrets of every built-in rule, their prefixes cut short, near
// misses, separators and multi-byte UTF-8 around them, that masking with
// the pre-screen gives exactly what running every rule on the string
// gives: the same text and the same counts by pattern. A secret the
// pre-screen let through would show as a difference.
func TestPrescreenMasksWhatEveryRuleMasks(t *testing.T) {
	secrets := []string{
		secretJWT, secretAWS, secretAWSTemp, secretGCP, secretGitHub, secretGHPAT, secretSlack,
		secretStripe, "rk_test_" + strings.Repeat("Ab1", 5), secretWhsec, "Bearer " + secretBearer,
		"Basic " + secretBasic, secretPEM, secretCard, secretCardRaw, secretAmex,
		"https://user:pa55w0rd@db.example.com/x", "https://hooks.slack.com/services/T000/B000/XXXX",
		"xoxp-" + strings.Repeat("1a2b", 4), "password=hunter2", "token: abc123", "--secret s3cr3t",
		"gho_" + strings.Repeat("Zz9", 12), "ghu_" + strings.Repeat("Q1", 18), "ghs_" + strings.Repeat("w2", 18),
		"4111111.111111111e9", "411111111111e4", "4111111111.111111E+6", "41111111111.1e5",
		"ghr_" + strings.Repeat("e3", 18), "sk_test_" + strings.Repeat("k9", 6), "rk_live_" + strings.Repeat("r8", 6),
	}
	others := []string{
		"", " ", "-", "_", ".", "=", ":", "/", "@", "\n", "\"", "é", "€", "ー", "\xff", "\xc3", "\u00a0",
		"e", "y", "J", "ey", "eyJ", "g", "h", "gh", "github", "k", "s", "r", "sk", "rk", "w", "whsec",
		"x", "xox", "A", "AKIA", "AIza", "b", "Bearer", "basic", "live", "test", "pat", "-----BEGIN",
		"a", "Z", "0", "1234", "4111111", "111111111", "e", "E", "e9", ".",
		"password", "Secret", "api_key", " = ", "'", "\t", "Authorization: Bearer ", "user[password]", "pass\\u0077ord", "%5B",
	}
	x := NewRedactor(DefaultOptions())
	rng := rand.New(rand.NewPCG(13, 3))
	var b strings.Builder
	for i := range 50000 {
		b.Reset()
		for range 1 + rng.IntN(5) {
			switch rng.IntN(4) {
			case 0:
				b.WriteString(secrets[rng.IntN(len(secrets))])
			case 1: // a secret cut short at either end: a near miss
				s := secrets[rng.IntN(len(secrets))]
				if rng.IntN(2) == 0 {
					b.WriteString(s[:rng.IntN(len(s)+1)])
				} else {
					b.WriteString(s[rng.IntN(len(s)+1):])
				}
			default:
				b.WriteString(others[rng.IntN(len(others))])
			}
		}
		s := b.String()
		var gt, wt tally
		got, gotChanged := x.text(s, &gt)
		want, wantChanged := x.textAllRules(s, &wt)
		if got != want || gotChanged != wantChanged {
			t.Fatalf("string %d %q: masked with the pre-screen %q (%v), by every rule %q (%v)", i, s, got, gotChanged, want, wantChanged)
		}
		if diff := cmp.Diff(wt.patterns, gt.patterns); diff != "" {
			t.Fatalf("string %d %q: counts by pattern (-every rule +pre-screen):\n%s", i, s, diff)
		}
	}
}

// FuzzPrescreenMasksWhatEveryRuleMasks is the fuzz form of
// TestPrescreenMasksWhatEveryRuleMasks.
func FuzzPrescreenMasksWhatEveryRuleMasks(f *testing.F) {
	for _, s := range prescreenSeeds {
		f.Add(s)
	}
	f.Add("é" + secretGitHub + "€")
	f.Add("x" + secretJWT)
	x := NewRedactor(DefaultOptions())
	f.Fuzz(func(t *testing.T, s string) {
		var gt, wt tally
		got, _ := x.text(s, &gt)
		want, _ := x.textAllRules(s, &wt)
		if got != want {
			t.Fatalf("%q: masked with the pre-screen %q, by every rule %q", s, got, want)
		}
	})
}
