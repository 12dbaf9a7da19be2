package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// referenceTriggers is the byte classification of prescreenReference.
var referenceTriggers = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = trigDigit
	}
	t[' '], t['-'], t['.'] = trigSep, trigSep, trigSep
	for _, c := range "ebBAgxkwv:=<" {
		t[c] = trigByte
	}
	return t
}()

// prescreenReference is the first form of prescreen, kept as the
// reference that FuzzPrescreenMatchesReference holds prescreen to, with
// the Slack webhook trigger of the current form (the first form flagged a
// webhook only after "://", and let one without its scheme through), and
// its reading of card numbers spelled as JSON numbers (a '.' between
// digits, an exponent after them), which the first form let through.
func prescreenReference(s string) uint32 {
	var f uint32
	run := 0
	lastDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch referenceTriggers[c] {
		case trigNone:
			run, lastDigit = 0, false
			continue
		case trigDigit:
			run++
			lastDigit = true
			if run >= minCardDigits || i+1 < len(s) && (s[i+1] == 'e' || s[i+1] == 'E') {
				f |= 1 << patCard
			}
			continue
		case trigSep:
			if !lastDigit {
				run = 0
			}
			lastDigit = false
			if c == '-' && i+1 < len(s) && s[i+1] == '-' {
				if strings.HasPrefix(s[i:], "-----BEGIN") {
					f |= 1 << patPrivateKey
				}
				f |= 1 << patKeyValue // a command-line flag: --password value
			}
			continue
		}
		run, lastDigit = 0, false
		rest := s[i:]
		switch c {
		case 'e':
			if strings.HasPrefix(rest, "eyJ") {
				f |= 1 << patJWT
			}
		case 'b', 'B':
			if hasPrefixFold(rest, "bearer") {
				f |= 1 << patBearer
			} else if hasPrefixFold(rest, "basic") {
				f |= 1 << patBasic
			}
		case 'A':
			if strings.HasPrefix(rest, "AKIA") || strings.HasPrefix(rest, "ASIA") {
				f |= 1 << patAWSAccessKey
			} else if strings.HasPrefix(rest, "AIza") {
				f |= 1 << patGCPAPIKey
			}
		case 'g':
			if len(rest) >= 4 && rest[1] == 'h' && rest[3] == '_' && strings.IndexByte("pousr", rest[2]) >= 0 ||
				strings.HasPrefix(rest, "github_pat_") {
				f |= 1 << patGitHubToken
			}
		case 'x':
			if strings.HasPrefix(rest, "xox") {
				f |= 1 << patSlackToken
			}
		case 'k':
			if i > 0 && (s[i-1] == 's' || s[i-1] == 'r') &&
				(strings.HasPrefix(rest, "k_live_") || strings.HasPrefix(rest, "k_test_")) {
				f |= 1 << patStripeKey
			}
		case 'w':
			if strings.HasPrefix(rest, "whsec_") {
				f |= 1 << patStripeKey
			}
		case 'v':
			if i >= len(slackHookHead) && strings.HasPrefix(s[i-len(slackHookHead):], slackHook) {
				f |= 1 << patSlackToken
			}
		case ':':
			if strings.HasPrefix(rest, "://") {
				if strings.IndexByte(rest, '@') >= 0 {
					f |= 1 << patURLPassword
				}
			} else {
				f |= 1 << patKeyValue
			}
		case '=', '<':
			f |= 1 << patKeyValue
		}
	}
	return f
}

// FuzzPrescreenMatchesReference checks that prescreen finds exactly the
// patterns prescreenReference finds, for every string.
func FuzzPrescreenMatchesReference(f *testing.F) {
	for _, s := range prescreenSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := prescreen(s), prescreenReference(s); got != want {
			t.Fatalf("prescreen(%q) = %b, the reference finds %b", s, got, want)
		}
	})
}

// prescreenSeeds are strings at the edges of each trigger.
var prescreenSeeds = []string{
	"", "e", "ey", "eyJ", "J", "yJ", "eJ", "xeyJ", "eeyJ", "eyeyJ", "EyJ", "eyj",
	"request handled", "/api/v1/orders/42", "GET",
	"Bearer " + secretBearer, "basic dXNlcjpwYXNz", "4111 1111 1111 1111", "4111-1111-1111-1111",
	"-----BEGIN PRIVATE KEY-----", "--password x", "AKIAIOSFODNN7EXAMPLE", "AIzaSy", "ghp_x", "github_pat_",
	"xoxb-1", "sk_live_x", "rk_test_x", "whsec_x", "https://u:p@host", "https://hooks.slack.com/services/x",
	"a=b", "a:b", "<a>",
	"gh_", "ghp", "ghx_", "xghp_", "gho_", "ghu_", "ghs_", "ghr_", "_ghp_", "github_pa_", "github_pat", "agithub_pat_x", "ithub_pat_", "Github_pat_",
	"k_live_", "_live_", "sk_live", "s_live_", "ak_live_", "sk_test_", "rk_live_", "srk_live_", "sk__live_",
	"whsec", "whsec_", "xwhsec_", "hsec_", "Whsec_", "w_", "_",
	"4111111.111111111e9", "411111111111e4", "41111111111.1E5", "1.2.3", "7e", "1e",
	"hooks.slack.com/services/", "hooks.slack.com/services", "ooks.slack.com/services/", "://hooks.slack.com/", "v", "/services/",
}

// TestPrescreenMatchesReferenceRandom compares prescreen with
// prescreenReference on random strings over the bytes the pre-screen
// reacts to (and a few it does not), so that every go test run covers
// their combinations, not only the fuzz seeds.
func TestPrescreenMatchesReferenceRandom(t *testing.T) {
	const alphabet = "eyJjE0123456789 -bBAaGgxXkKwWsr_:/=<@hoIzSpt."
	rng := rand.New(rand.NewPCG(13, 2))
	var b []byte
	for range 200000 {
		b = b[:0]
		for range rng.IntN(24) {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		s := string(b)
		if got, want := prescreen(s), prescreenReference(s); got != want {
			t.Fatalf("prescreen(%q) = %b, the reference finds %b", s, got, want)
		}
	}
	// Strings made of pieces of the prefixes, so that near misses of
	// every prefix come up often.
	pieces := []string{"g", "h", "p", "o", "x", "_", "github", "ithub", "pat", "s", "r", "k", "live", "test", "whsec", "w",
		"e", "y", "J", "eyJ", "1", "4111", " ", "-", "A", "AKIA", "b", "bearer", "Basic", ":", "//", "@"}
	for range 200000 {
		b = b[:0]
		for range rng.IntN(8) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		s := string(b)
		if got, want := prescreen(s), prescreenReference(s); got != want {
			t.Fatalf("prescreen(%q) = %b, the reference finds %b", s, got, want)
		}
	}
}

// BenchmarkPrescreen measures prescreen, beside prescreenReference, on the
// strings of the standard payload (the message and two clean values) and on
// a sentence of English text.
func BenchmarkPrescreen(b *testing.B) {
	inputs := map[string][]string{
		"payload": {"request handled", "GET", "/api/v1/orders/42"},
		"text":    {"the replica set was re-elected after the previous leader stepped down; every client reconnected"},
	}
	for _, in := range []string{"payload", "text"} {
		for _, im := range []struct {
			name string
			f    func(string) uint32
		}{{"reference", prescreenReference}, {"current", prescreen}} {
			b.Run(in+"/"+im.name, func(b *testing.B) {
				var f uint32
				for b.Loop() {
					for _, s := range inputs[in] {
						f |= im.f(s)
					}
				}
				if f&^(1<<patKeyValue) != 0 {
					b.Fatalf("a clean string is flagged: %b", f)
				}
			})
		}
	}
}
