package redact

import (
	"strings"
	"unicode/utf8"
)

// maxInlineKeyLen is the longest key considered by the key=value scanner.
const maxInlineKeyLen = 64

// minColonCredential is the shortest value masked after an unquoted
// "key:" (the value must also contain a digit).
const minColonCredential = 6

// isKeyByte reports whether c may be part of a key in text: letters,
// digits, '_', '-', '.', the brackets of form keys (user[password]) and the
// '%' of percent-encoded ones (user%5Bpassword%5D).
func isKeyByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '[' || c == ']' || c == '%'
}

// isValueStop ends an unquoted value.
func isValueStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '&', ',', ';', '"', '\'', '\\', ')', ']', '}', '<', '>':
		return true
	}
	return false
}

// authSchemes are words that precede the credential in an Authorization
// value; after one of them the next word is masked too.
var authSchemes = []string{"bearer", "basic", "digest", "token", "negotiate", "ntlm", "apikey"}

// scanKeyValues appends to out the spans of values that follow a secret key
// and '=' or ':' in s: key=value, key = value, key: value, "key":"value",
// key="value", key='value' and, inside JSON text embedded in a string,
// \"key\":\"value\". x judges the keys.
func scanKeyValues(s string, x *Redactor, t *tally, out []span) []span {
	for i := 0; i < len(s); i++ {
		sep := s[i]
		if sep != '=' && sep != ':' {
			continue
		}
		if sep == ':' && i+2 < len(s) && s[i+1] == '/' && s[i+2] == '/' {
			continue
		}
		// The key: optional spaces, an optional closing quote (possibly
		// escaped), then key bytes.
		j := i
		for j > 0 && s[j-1] == ' ' && i-j < 4 {
			j--
		}
		quotedKey := false
		if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
			j--
			quotedKey = true
			if j > 0 && s[j-1] == '\\' {
				j--
			}
		}
		k, ok := keyStart(s, j)
		if !ok || k == j || !x.secretKey(unescapeKey(s[k:j]), t) {
			continue
		}
		// The value.
		v := i + 1
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if v >= len(s) {
			continue
		}
		var start, end int
		quoted, scheme := false, false
		switch {
		case s[v] == '"' || s[v] == '\'':
			q := s[v]
			start = v + 1
			end = start
			for end < len(s) && s[end] != q {
				if s[end] == '\\' {
					end++ // an escaped byte belongs to the value
				}
				end++
			}
			if end > len(s) {
				end = len(s)
			}
			quoted = true
		case s[v] == '\\' && v+1 < len(s) && s[v+1] == '"':
			start = v + 2
			end = start
			for end < len(s) && !(s[end] == '\\' && end+1 < len(s) && s[end+1] == '"') {
				if s[end] == '"' {
					break
				}
				end++
			}
			quoted = true
		default:
			start = v
			end = v
			for end < len(s) && !isValueStop(s[end]) {
				end++
			}
			// "Authorization: Bearer abc": mask the word after the scheme,
			// keep the scheme.
			if end+1 < len(s) && s[end] == ' ' && isAuthScheme(s[start:end]) {
				e := end + 1
				for e < len(s) && !isValueStop(s[e]) {
					e++
				}
				if e > end+1 {
					start, end = end+1, e
					scheme = true
				}
			}
		}
		if end <= start {
			continue
		}
		if x.alreadyMasked(s[start:]) {
			// Already masked (a body masked before it was logged): masking
			// again must not change it.
			i = start + len(x.repl) - 1
			continue
		}
		if sep == ':' && !quotedKey && !quoted && !colonEvidence(s, i, k, start, end, scheme) {
			continue
		}
		out = append(out, span{start: start, end: end, pat: patKeyValue})
		i = end - 1
	}
	return out
}

func isAuthScheme(w string) bool {
	for _, a := range authSchemes {
		if len(w) == len(a) && hasPrefixFold(w, a) {
			return true
		}
	}
	return false
}

// colonEvidence reports whether an unquoted key:value pair, with the colon
// at i, the key starting at k and the value at s[start:end], is a
// credential rather than part of an identifier or of prose. The colon must
// be followed by white space (tenant:acme:token:abc123 is an identifier);
// then an authorization scheme before the value, a header-style key
// (starting with a capital) or a credential-like value is enough.
func colonEvidence(s string, i, k, start, end int, scheme bool) bool {
	if i+1 >= len(s) || s[i+1] != ' ' && s[i+1] != '\t' {
		return false
	}
	return scheme || 'A' <= s[k] && s[k] <= 'Z' || isColonCredential(s[start:end])
}

// keyStart returns where the key that ends at j in s starts: key bytes and
// JSON \uXXXX escapes (a JSON member name written "pass\u0077ord", as in a
// JSON body cut short and masked as text). ok is false for a key longer
// than maxInlineKeyLen characters, an escape counting as one.
func keyStart(s string, j int) (k int, ok bool) {
	k = j
	for n := 0; k > 0; n++ {
		if n > maxInlineKeyLen {
			return k, false
		}
		switch {
		case isUnicodeEscape(s, k-6):
			k -= 6
		case isKeyByte(s[k-1]):
			k--
		default:
			return k, true
		}
	}
	return k, true
}

// isUnicodeEscape reports whether s holds a JSON \uXXXX escape at i.
func isUnicodeEscape(s string, i int) bool {
	return i >= 0 && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' &&
		isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5])
}

// unescapeKey returns key with its %XX escapes decoded, as a form decoder
// reads it, and its \uXXXX escapes, as a JSON decoder reads them, or key
// itself when it has none.
func unescapeKey(key string) string {
	if strings.IndexByte(key, '%') < 0 && strings.IndexByte(key, '\\') < 0 {
		return key
	}
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		switch {
		case key[i] == '%' && i+2 < len(key) && isHex(key[i+1]) && isHex(key[i+2]):
			b = append(b, unhex(key[i+1])<<4|unhex(key[i+2]))
			i += 2
		case isUnicodeEscape(key, i):
			r := rune(unhex(key[i+2]))<<12 | rune(unhex(key[i+3]))<<8 | rune(unhex(key[i+4]))<<4 | rune(unhex(key[i+5]))
			b = utf8.AppendRune(b, r)
			i += 5
		default:
			b = append(b, key[i])
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// minColonLong is the length from which any unquoted value after "key:"
// counts as a credential.
const minColonLong = 16

// isColonCredential reports whether an unquoted value after a lower-case
// "key:" looks like a credential rather than a word of prose: 6 characters
// or more with a digit, or 16 or more.
func isColonCredential(v string) bool {
	if len(v) < minColonCredential {
		return false
	}
	if len(v) >= minColonLong {
		return true
	}
	for i := 0; i < len(v); i++ {
		if isDigit(v[i]) {
			return true
		}
	}
	return false
}
