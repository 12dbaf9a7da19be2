package forcetoken

import (
	"strings"
	"testing"
	"time"
)

var (
	testKey  = []byte("0123456789abcdef-test-key")
	otherKey = []byte("fedcba9876543210-other-key")
	testNow  = time.Unix(1_700_000_000, 500_000_000)
)

func TestVerify(t *testing.T) {
	valid := Mint(testKey, "order-1", testNow.Add(10*time.Minute))
	exp, _, _ := strings.Cut(strings.TrimPrefix(valid, prefix), ".")
	mac := valid[len(prefix)+len(exp)+1:]
	tests := []struct {
		name  string
		token string
		id    string
		want  Result
	}{
		{"valid", valid, "order-1", Accepted},
		{"valid at the longest lifetime", Mint(testKey, "order-1", testNow.Add(MaxLifetime)), "order-1", Accepted},
		{"expiring in the next second", Mint(testKey, "order-1", testNow.Add(time.Second)), "order-1", Accepted},
		{"other key", Mint(otherKey, "order-1", testNow.Add(time.Minute)), "order-1", Forged},
		{"other ID", valid, "order-2", Forged},
		{"ID with a newline appended", valid, "order-1\n", Forged},
		{"expiry altered", prefix + "1700000601." + mac, "order-1", Forged},
		{"MAC altered", valid[:len(valid)-1] + flip(valid[len(valid)-1]), "order-1", Forged},
		{"expired this second", Mint(testKey, "order-1", testNow), "order-1", Expired},
		{"expired long ago", Mint(testKey, "order-1", testNow.Add(-time.Hour)), "order-1", Expired},
		{"lifetime too long", Mint(testKey, "order-1", testNow.Add(MaxLifetime+time.Second)), "order-1", Invalid},
		{"lifetime far too long", Mint(testKey, "order-1", time.Unix(1<<62, 0)), "order-1", Invalid},
		{"empty", "", "order-1", Invalid},
		{"other version", "v2" + valid[2:], "order-1", Invalid},
		{"no MAC", prefix + exp, "order-1", Invalid},
		{"no expiry", prefix + "." + mac, "order-1", Invalid},
		{"leading zero", prefix + "0" + exp + "." + mac, "order-1", Invalid},
		{"signed expiry", prefix + "+" + exp + "." + mac, "order-1", Invalid},
		{"20-digit expiry", prefix + strings.Repeat("9", 20) + "." + mac, "order-1", Invalid},
		{"19 nines, MAC of another expiry", prefix + strings.Repeat("9", 19) + "." + mac, "order-1", Forged},
		{"padded MAC", valid + "=", "order-1", Invalid},
		{"standard base64 MAC", prefix + exp + "." + strings.NewReplacer("-", "+", "_", "/").Replace(mac) + "+", "order-1", Invalid},
		{"short MAC", valid[:len(valid)-2], "order-1", Invalid},
		{"trailing data", valid + ".x", "order-1", Invalid},
		{"oversized", valid + strings.Repeat("A", MaxLen), "order-1", Invalid},
		{"oversized by one", prefix + strings.Repeat("1", MaxLen-len(prefix)+1), "order-1", Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(testKey, tt.token, tt.id, testNow); got != tt.want {
				t.Errorf("Verify(%q, %q) = %v, want %v", tt.token, tt.id, got, tt.want)
			}
		})
	}
}

// flip returns a base64url character other than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestMintForm checks the token's form: the version, the expiry in whole
// seconds, a 43-character MAC, well under MaxLen.
func TestMintForm(t *testing.T) {
	tok := Mint(testKey, strings.Repeat("i", 128), testNow.Add(time.Hour))
	want := "v1.1700003600."
	if !strings.HasPrefix(tok, want) || len(tok) != len(want)+43 {
		t.Errorf("Mint = %q; want %q and 43 characters of MAC", tok, want)
	}
}

// FuzzVerify checks that Verify never panics, and accepts a token only
// when it is exactly the one Mint makes with the key for the ID and an
// expiry in (now, now+MaxLifetime].
func FuzzVerify(f *testing.F) {
	f.Add(Mint(testKey, "order-1", testNow.Add(time.Minute)), "order-1")
	f.Add(Mint(otherKey, "order-1", testNow.Add(time.Minute)), "order-1")
	f.Add("v1.1700000060.AAAA", "x")
	f.Add(strings.Repeat("v1.", 50), "")
	f.Fuzz(func(t *testing.T, token, id string) {
		got := Verify(testKey, token, id, testNow)
		if got != Accepted {
			return
		}
		exp, _, ok := parse(token)
		if !ok {
			t.Fatalf("accepted a token that does not parse: %q", token)
		}
		n := int64(0)
		for _, c := range exp {
			n = n*10 + int64(c-'0')
		}
		if Mint(testKey, id, time.Unix(n, 0)) != token {
			t.Fatalf("accepted %q for %q, which Mint does not make", token, id)
		}
		if n <= testNow.Unix() || n > testNow.Add(MaxLifetime).Unix() {
			t.Fatalf("accepted %q with expiry %d outside (now, now+MaxLifetime]", token, n)
		}
	})
}
