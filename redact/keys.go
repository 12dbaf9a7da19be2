package redact

// maxKeyWords is the number of words at each end of a key that rules are
// matched against; a rule longer than that many words cannot match.
const maxKeyWords = 32

// keyBufSize is the normalised length handled without allocating.
const keyBufSize = 128

// keyRules is an immutable set of normalised key rules.
type keyRules struct {
	rules map[string]struct{}
	safe  map[string]struct{}
}

// newKeyRules builds the rule set described by opts.
func newKeyRules(opts *Options) *keyRules {
	kr := &keyRules{rules: map[string]struct{}{}, safe: map[string]struct{}{}}
	if !opts.NoDefaultKeys {
		for _, k := range DefaultKeys {
			if n := normaliseKey(k); n != "" {
				kr.rules[n] = struct{}{}
			}
		}
	}
	for _, k := range opts.Keys {
		if n := normaliseKey(k); n != "" {
			kr.rules[n] = struct{}{}
		}
	}
	for _, k := range opts.RemoveKeys {
		delete(kr.rules, normaliseKey(k))
	}
	for _, k := range opts.SafeKeys {
		if n := normaliseKey(k); n != "" {
			kr.safe[n] = struct{}{}
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

// isSecret reports whether key matches a rule and is not a safe key. It does
// not allocate for keys whose normalised form fits in keyBufSize bytes.
func (kr *keyRules) isSecret(key string) bool {
	if len(kr.rules) == 0 || key == "" {
		return false
	}
	var stack [keyBufSize]byte
	buf := stack[:0]
	if len(key) > keyBufSize {
		buf = make([]byte, 0, len(key))
	}
	// head holds the start of the first maxKeyWords words, tail (a ring)
	// the start of the last maxKeyWords words: prefix runs are built from
	// head, suffix runs from tail, so a key of any length is judged by
	// both of its ends.
	var head, tail [maxKeyWords]int
	nw := 0
	addBound := func(at int) {
		if nw > 0 && tail[(nw-1)%maxKeyWords] == at {
			return
		}
		if nw < maxKeyWords {
			head[nw] = at
		}
		tail[nw%maxKeyWords] = at
		nw++
	}
	prev, prev2 := classSep, classSep
	for i := 0; i < len(key); i++ {
		c := key[i]
		cls := classSep
		switch {
		case 'A' <= c && c <= 'Z':
			cls = classUpper
			if prev != classUpper {
				addBound(len(buf))
			}
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c >= 0x80:
			cls = classLower
			if prev == classSep {
				addBound(len(buf))
			} else if prev == classUpper && prev2 == classUpper && 'a' <= c && c <= 'z' {
				// End of an acronym: "APIKey" splits before the K.
				addBound(len(buf) - 1)
			}
		}
		prev2, prev = prev, cls
		if cls != classSep {
			buf = append(buf, c)
		}
	}
	if len(buf) == 0 {
		return false
	}
	if len(kr.safe) > 0 {
		if _, ok := kr.safe[string(buf)]; ok {
			return false
		}
	}
	// A rule matches a run of words touching either end of the key.
	for i := max(0, nw-maxKeyWords); i < nw; i++ {
		if _, ok := kr.rules[string(buf[tail[i%maxKeyWords]:])]; ok {
			return true
		}
	}
	for i := 1; i < min(nw, maxKeyWords); i++ {
		if _, ok := kr.rules[string(buf[:head[i]])]; ok {
			return true
		}
	}
	return false
}
