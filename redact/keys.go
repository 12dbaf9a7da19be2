package redact

// maxKeyWords bounds the word boundaries considered in one key; words past
// it are merged into the last one, which can only make a key match less.
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
	var bounds [maxKeyWords]int
	nb := 0
	prev, prev2 := classSep, classSep
	addBound := func(at int) {
		if nb > 0 && bounds[nb-1] == at {
			return
		}
		if nb < maxKeyWords {
			bounds[nb] = at
			nb++
		}
	}
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
	// bounds holds the start of every word in ascending order (bounds[0]
	// is 0). A rule matches a run of words touching either end of the key.
	for i := 0; i < nb; i++ {
		if _, ok := kr.rules[string(buf[bounds[i]:])]; ok {
			return true
		}
	}
	for i := 1; i < nb; i++ {
		if _, ok := kr.rules[string(buf[:bounds[i]])]; ok {
			return true
		}
	}
	return false
}
