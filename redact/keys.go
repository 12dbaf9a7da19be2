package redact

// keyBufSize is the normalised length handled without allocating.
const keyBufSize = 128

// counterWords are words that, right after a secret word, make the key name
// a count or a setting about secrets rather than a secret: token_count,
// session_ttl, password_max_length. A key rule followed by one of them does
// not match at that place.
var counterWords = map[string]struct{}{
	"count": {}, "counts": {}, "cnt": {}, "num": {}, "total": {},
	"used": {}, "usage": {}, "remaining": {}, "bucket": {}, "buckets": {},
	"limit": {}, "limits": {}, "max": {}, "min": {}, "rate": {},
	"len": {}, "length": {}, "size": {}, "ttl": {}, "expires": {},
	"expiry": {}, "expiration": {}, "age": {},
}

// compoundSuffixes are key rules that also match at the end of a single
// word, for well-known compounds written without a separator: PGPASSWORD,
// dbpassword, clientsecret, csrftoken, myapikey. Each applies only while it
// is itself a rule.
var compoundSuffixes = []string{"password", "passwd", "passphrase", "secret", "token", "apikey"}

// keyRules is an immutable set of normalised key rules.
type keyRules struct {
	rules    map[string]struct{}
	safe     map[string]struct{}
	suffixes []string // compoundSuffixes that are rules
	maxLen   int      // the longest rule
}

// newKeyRules builds the rule set described by opts.
func newKeyRules(opts *Options) *keyRules {
	kr := &keyRules{rules: map[string]struct{}{}, safe: map[string]struct{}{}}
	for _, k := range opts.Keys {
		if n := normaliseKey(k); n != "" {
			kr.rules[n] = struct{}{}
		}
	}
	for _, k := range opts.SafeKeys {
		if n := normaliseKey(k); n != "" {
			kr.safe[n] = struct{}{}
		}
	}
	for r := range kr.rules {
		kr.maxLen = max(kr.maxLen, len(r))
	}
	for _, s := range compoundSuffixes {
		if _, ok := kr.rules[s]; ok {
			kr.suffixes = append(kr.suffixes, s)
		}
	}
	return kr
}

// normaliseKey returns key with ASCII letters lower-cased and every ASCII
// byte that is not a letter or digit removed.
func normaliseKey(key string) string {
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b = append(b, c+('a'-'A'))
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c >= 0x80:
			b = append(b, c)
		}
	}
	return string(b)
}

// byte classes used to split keys into words.
const (
	classSep = iota
	classLower
	classUpper
)

// splitKey appends the normalised bytes of key to buf and the start of
// every word in them to starts. Words are split at separators (ASCII bytes
// that are not letters or digits), before an upper-case letter that follows
// a lower-case letter or digit, and before the last capital of an acronym
// followed by a lower-case letter (APIKey is API + Key).
func splitKey(key string, buf []byte, starts []int) ([]byte, []int) {
	addStart := func(at int) {
		if n := len(starts); n == 0 || starts[n-1] != at {
			starts = append(starts, at)
		}
	}
	prev, prev2 := classSep, classSep
	for i := 0; i < len(key); i++ {
		c := key[i]
		cls := classSep
		switch {
		case 'A' <= c && c <= 'Z':
			cls = classUpper
			if prev != classUpper {
				addStart(len(buf))
			}
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c >= 0x80:
			cls = classLower
			if prev == classSep {
				addStart(len(buf))
			} else if prev == classUpper && prev2 == classUpper && 'a' <= c && c <= 'z' {
				addStart(len(buf) - 1)
			}
		}
		prev2, prev = prev, cls
		if cls != classSep {
			buf = append(buf, c)
		}
	}
	return buf, starts
}

// isSecret reports whether key matches a rule and is not a safe key: some
// run of whole consecutive words of the key, anywhere in it, equals a rule
// and is not followed by a counter word, or a word ends with a compound
// suffix. It does not allocate for keys of up to keyBufSize bytes.
func (kr *keyRules) isSecret(key string) bool {
	if len(kr.rules) == 0 || key == "" {
		return false
	}
	var stack [keyBufSize]byte
	var startStack [keyBufSize + 1]int
	buf, starts := stack[:0], startStack[:0]
	if len(key) > keyBufSize {
		buf, starts = make([]byte, 0, len(key)), make([]int, 0, len(key)+1)
	}
	buf, starts = splitKey(key, buf, starts)
	if len(buf) == 0 {
		return false
	}
	if len(kr.safe) > 0 {
		if _, ok := kr.safe[string(buf)]; ok {
			return false
		}
	}
	starts = append(starts, len(buf)) // the end of the last word
	nw := len(starts) - 1
	for i := 0; i < nw; i++ {
		if kr.compound(buf[starts[i]:starts[i+1]]) && !kr.counterAt(buf, starts, i+1) {
			return true
		}
		for j := i + 1; j <= nw && starts[j]-starts[i] <= kr.maxLen; j++ {
			if _, ok := kr.rules[string(buf[starts[i]:starts[j]])]; ok && !kr.counterAt(buf, starts, j) {
				return true
			}
		}
	}
	return false
}

// compound reports whether word is longer than a compound suffix and ends
// with it.
func (kr *keyRules) compound(word []byte) bool {
	for _, s := range kr.suffixes {
		if len(word) > len(s) && string(word[len(word)-len(s):]) == s {
			return true
		}
	}
	return false
}

// counterAt reports whether word w of the key is a counter word.
func (kr *keyRules) counterAt(buf []byte, starts []int, w int) bool {
	if w >= len(starts)-1 {
		return false
	}
	_, ok := counterWords[string(buf[starts[w]:starts[w+1]])]
	return ok
}
