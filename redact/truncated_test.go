package redact

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// escapeSome writes key as a JSON member name with some of its letters as
// \uXXXX escapes (in upper or lower case hex), as a JSON encoder may.
func escapeSome(rng *rand.Rand, key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		switch rng.IntN(3) {
		case 0:
			fmt.Fprintf(&b, `\u%04x`, key[i])
		case 1:
			fmt.Fprintf(&b, `\u%04X`, key[i])
		default:
			b.WriteByte(key[i])
		}
	}
	return b.String()
}

// truncatedBody is a JSON body with secrets under escaped member names, in
// a nested object and at the top level, and padding that a capture limit
// cuts; it returns the body and its secrets.
func truncatedBody(rng *rand.Rand, n int) (string, []string) {
	keys := []string{"password", "user_password", "api_key", "access_token", "clientSecret", "PGPASSWORD", "Authorization"}
	secrets := []string{fmt.Sprintf("Zq8sec%dA", n), fmt.Sprintf("Wv7sec%dB", n)}
	body := fmt.Sprintf(`{"user":{"name":"bob","%s":"%s"},"%s" : "%s","n":%d,"pad":"%s"}`,
		escapeSome(rng, keys[rng.IntN(len(keys))]), secrets[0],
		escapeSome(rng, keys[rng.IntN(len(keys))]), secrets[1],
		n, strings.Repeat("x", rng.IntN(40)))
	return body, secrets
}

// TestTruncatedJSONWithEscapedKeys cuts JSON bodies holding secrets under
// member names written with escapes at every point, as a capture limit
// does: masked as text, no part of a secret (4 bytes or more) is written,
// and the complete body is masked as JSON.
func TestTruncatedJSONWithEscapedKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 2))
	x := NewRedactor(DefaultOptions())
	for n := range 200 {
		body, secrets := truncatedBody(rng, n)
		for cut := 0; cut <= len(body); cut++ {
			out := string(x.RedactBody("application/json", []byte(body[:cut])))
			for _, sec := range secrets {
				for l := 4; l <= len(sec); l++ {
					if strings.Contains(out, sec[:l]) {
						t.Fatalf("body %s cut at %d: %q of a secret written: %s", body, cut, sec[:l], out)
					}
				}
			}
		}
	}
}
