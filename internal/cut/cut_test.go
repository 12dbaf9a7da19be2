package cut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefix(t *testing.T) {
	tests := []struct {
		s     string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"card 4111111111111111 end", 20, "card "},
		{"card 4111 1111 1111 1111", 22, "card "},
		{"card 4111-1111-1111-1111", 19, "card "},
		{"Authorization: Bearer abcdefghijklmnopqrstuvwxyz", 40, "Authorization: Bearer "},
		{"a=1&token=tok_live_abcdef", 20, "a=1&token="},
		{`{"password":"hunter2"}`, 16, `{"password":"`},
		{"oneverylongword", 5, ""},
		{strings.Repeat("a", 200), 150, strings.Repeat("a", 150)}, // no single secret
		{"k " + strings.Repeat("a", 200), 130, "k "},
		{"word end", 5, "word "},
		{"word end", 4, "word"},
		{"é€é€", 4, "é"}, // multibyte runes are not word bytes: cut on a rune boundary
		{"x", 0, ""},
		{"abc", -1, ""},
	}
	for _, tt := range tests {
		if got := Prefix(tt.s, tt.limit); got != tt.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
		}
	}
}

// FuzzPrefix checks that a prefix is a prefix, within the limit, valid
// UTF-8 where the input was, and never ends inside a word of the input.
func FuzzPrefix(f *testing.F) {
	f.Add("card 4111 1111 1111 1111", 12)
	f.Add("Bearer abc.def-ghi", 10)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		p := Prefix(s, limit)
		if !strings.HasPrefix(s, p) {
			t.Fatalf("%q is not a prefix of %q", p, s)
		}
		if len(s) > limit && len(p) > max(limit, 0) {
			t.Fatalf("prefix %q longer than %d", p, limit)
		}
		if utf8.ValidString(s) && !utf8.ValidString(p) {
			t.Fatalf("prefix %q of valid %q is not valid UTF-8", p, s)
		}
		if len(p) < len(s) && len(p) > 0 && isWord(p[len(p)-1]) && isWord(s[len(p)]) && wordStart(s, len(p)) >= len(p)-maxSecret {
			t.Fatalf("prefix %q ends inside a word of %q", p, s)
		}
	})
}
