package redact

// maxInlineKeyLen is the longest key considered by the key=value scanner.
const maxInlineKeyLen = 64

// minColonCredential is the shortest value masked after an unquoted
// "key:" (the value must also contain a digit).
const minColonCredential = 6

func isKeyByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.'
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
		k := j
		for k > 0 && isKeyByte(s[k-1]) && j-k <= maxInlineKeyLen {
			k--
		}
		if k == j || j-k > maxInlineKeyLen || !x.secretKey(s[k:j], t) {
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
		if sep == ':' && !quotedKey && !quoted && !scheme && !('A' <= s[k] && s[k] <= 'Z') && !isColonCredential(s[start:end]) {
			continue
		}
		out = append(out, span{start: start, end: end, pat: PatternKeyValue})
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
