package cut

import "unicode/utf8"

// maxSecret is the longest partial word that Prefix drops: longer runs
// (padding, a large encoded blob) are not one credential, and are cut
// where the limit falls.
const maxSecret = 128

// Prefix returns the longest prefix of s of at most limit bytes that ends
// on a rune boundary and not inside a word: when the cut falls inside a
// run of word bytes (letters, digits and the bytes tokens and encodings
// use: - _ . + / ~ %) of at most 128 bytes before the cut, the whole run
// goes; a run of digits grouped by spaces or dashes (a card number as
// people write it) goes whole too. It returns s itself when s fits.
func Prefix(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := max(limit, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if n > 0 && isWord(s[n]) {
		if start := wordStart(s, n); n-start <= maxSecret {
			n = start
		}
	}
	return s[:n]
}

// wordStart returns where the word that s[n-1] ends (or continues)
// starts, joining digit groups separated by single spaces or dashes.
func wordStart(s string, n int) int {
	for {
		for n > 0 && isWord(s[n-1]) {
			n--
		}
		if n >= 2 && (s[n-1] == ' ' || s[n-1] == '-') && isDigit(s[n-2]) && n < len(s) && isDigit(s[n]) {
			n--
			continue
		}
		return n
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWord(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', isDigit(c):
		return true
	}
	switch c {
	case '-', '_', '.', '+', '/', '~', '%':
		return true
	}
	return false
}
