package redact

import "strings"

// isBearerByte reports whether c belongs to the RFC 6750 token alphabet
// (b64token: letters, digits, "-._~+/"; trailing "=" is handled apart).
func isBearerByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-.~+/", c) >= 0
}

// isBase64Byte reports whether c belongs to the standard base64 alphabet.
func isBase64Byte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '+' || c == '/'
}

// findSchemeCredentials appends the spans of the credentials that follow
// the authorization scheme word (any case, at a word start) and one or more
// spaces or tabs: a run of body bytes and up to two '=' of padding, kept
// when valid accepts it.
func findSchemeCredentials(s, scheme string, body func(byte) bool, valid func(string) bool, p pattern, out []span) []span {
	for i := 0; i+len(scheme) < len(s); i++ {
		if c := s[i] | 0x20; c != scheme[0] || !hasPrefixFold(s[i:], scheme) || i > 0 && isAlnum(s[i-1]) {
			continue
		}
		j := i + len(scheme)
		if s[j] != ' ' && s[j] != '\t' {
			continue
		}
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		start := j
		for j < len(s) && body(s[j]) {
			j++
		}
		for pad := 0; j < len(s) && s[j] == '=' && pad < 2; pad++ {
			j++
		}
		if j > start && valid(s[start:j]) {
			out = append(out, span{start: start, end: j, pat: p})
		}
		i = j - 1
	}
	return out
}

// isAuthorityByte reports whether c may appear in the authority of a URL
// (user:password@host:port) as this package reads it: anything but white
// space, the delimiters "/?#", quotes, a backslash and angle brackets. '@'
// and ':' are allowed: a password may hold either.
func isAuthorityByte(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '/', '?', '#', '"', '\'', '\\', '<', '>':
		return false
	}
	return true
}

// findURLPasswords appends the spans of the passwords in
// scheme://user:password@host, read as a URL parser reads them: the user
// information ends at the last '@' of the authority, and the password is
// everything after its first ':' (so a password may hold ':' and '@', and
// a user may hold '@').
func findURLPasswords(s string, out []span) []span {
	for from := 0; ; {
		k := strings.Index(s[from:], "://")
		if k < 0 {
			return out
		}
		i := from + k
		from = i + 3
		if i == 0 || !isAlnum(s[i-1]) {
			continue
		}
		end := from
		for end < len(s) && isAuthorityByte(s[end]) {
			end++
		}
		at := strings.LastIndexByte(s[from:end], '@')
		if at < 0 {
			continue
		}
		userinfo := s[from : from+at]
		colon := strings.IndexByte(userinfo, ':')
		if colon < 0 || colon == len(userinfo)-1 {
			continue
		}
		out = append(out, span{start: from + colon + 1, end: from + at, pat: patURLPassword})
		from = from + at + 1
	}
}
