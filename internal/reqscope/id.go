package reqscope

// MaxIDLen is the longest incoming correlation ID accepted.
const MaxIDLen = 128

// ValidID reports whether id may be used as a correlation ID as received:
// it has 1 to MaxIDLen characters, each an ASCII letter, digit, '.', '_',
// ':' or '-'. Anything else (empty, too long, spaces, control characters,
// non-ASCII, quotes, '/', '=') is rejected, so that an accepted ID can be
// echoed into a response header or a log line as is.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !idChar[id[i]] {
			return false
		}
	}
	return true
}

// idChar marks the bytes allowed in a correlation ID.
var idChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for _, c := range "._:-" {
		t[c] = true
	}
	return t
}()
