package redact

import (
	"log/slog"
	"regexp"
	"slices"
	"strings"
)

// maxGroupDepth bounds the nesting of groups masked whole under a secret
// key; anything deeper is replaced as one value.
const maxGroupDepth = 8

// Redactor applies the key rules and value patterns of one Options to
// strings, slog values and attributes. It is safe for concurrent use, and
// its methods never panic. Handler uses one; body capture (httpctx) and any
// other code that must mask with the same rules can use one directly.
type Redactor struct {
	repl      string
	replValue slog.Value
	replJSON  string
	keys      *keyRules
	cache     *keyCache
	enabled   uint32 // bit p set: built-in pattern p is on
	custom    []CustomPattern
	c         counters
}

// NewRedactor returns a Redactor for opts, read once: later changes to the
// slices of opts do not affect it. It panics when opts.DisablePatterns
// names an unknown pattern (the message lists the valid names). Use
// NewRedactor(DefaultOptions()) for the recommended rules; the zero Options
// has no key rules (see Options).
func NewRedactor(opts Options) *Redactor {
	disabled := disabledPatterns(opts.DisablePatterns)
	x := &Redactor{
		repl:  opts.Replacement,
		keys:  newKeyRules(&opts),
		cache: newKeyCache(opts.KeyCacheSize),
	}
	x.replValue = slog.StringValue(x.repl)
	x.replJSON = quoteJSON(x.repl)
	x.enabled = (1<<patCustom - 1) &^ disabled
	if len(x.keys.rules) == 0 {
		x.enabled &^= 1 << patKeyValue
	}
	if disabled&(1<<patCustom) == 0 {
		for _, cp := range opts.Patterns {
			if cp.Regexp != nil {
				x.custom = append(x.custom, cp)
			}
		}
	}
	return x
}

// alreadyMasked reports whether s starts with the replacement, so that
// masking a value masked before (a body masked before it was logged) leaves
// it as it is. An empty replacement never counts as a prefix.
func (x *Redactor) alreadyMasked(s string) bool {
	return x.repl != "" && strings.HasPrefix(s, x.repl)
}

// Stats returns the redactor's counters. Records and RecordsChanged are
// counted only by a Handler.
func (x *Redactor) Stats() Stats { return x.c.stats() }

// IsSecretKey reports whether an attribute with this key has its value
// masked whole.
func (x *Redactor) IsSecretKey(key string) bool {
	var t tally
	v := x.attrVerdict(key, &t)
	x.c.flush(&t)
	return v.secret
}

// RedactString returns s with every secret found by the value patterns
// replaced, and whether anything was replaced. When nothing is, it returns s
// itself without allocating.
func (x *Redactor) RedactString(s string) (string, bool) {
	var t tally
	out, ok := x.text(s, &t)
	x.c.flush(&t)
	return out, ok
}

// RedactValue returns v with secrets masked, and whether the result differs
// from v. Every value is seen as slog.JSONHandler writes it:
//
//   - strings are bodies: a complete, valid JSON object or array is masked
//     as JSON (see RedactJSON), any other string as text by the value
//     patterns;
//   - int64, uint64 and whole float64 values that are card numbers are
//     masked;
//   - group values are walked with the key rules applied to their
//     attributes; LogValuer values are resolved first (the result is then
//     always the resolved value, and the boolean true);
//   - of kind Any: a slice of bytes ([]byte, json.RawMessage, a byte-slice
//     type without methods) is a body too; an error that is not a
//     json.Marshaler is its Error() text; a boolean, number or string of a
//     type without methods is judged as its JSON encoding; anything else
//     (structs by their JSON field names and tags, pointers, maps of any
//     key type, slices, types with methods: json.Marshaler,
//     encoding.TextMarshaler, fmt.Stringer values) is encoded as the JSON
//     handler encodes it, and the encoding is masked as a JSON document.
//
// Such a structured value is always replaced, masked or not (the boolean
// is then true): by its masked JSON, as a value that encodes as exactly
// those bytes and reads as the same text in text handlers (MarshalText,
// String), so that a text sink never writes fmt's %+v of the original
// (unexported and json:"-" fields, String output). An encoding error or
// panic is judged by the text the JSON handler would write for it
// ("!ERROR:...", "!PANIC: ..."), and that (masked) text replaces the
// value. An error with a text form of its own (encoding.TextMarshaler,
// fmt.Formatter) is replaced by its masked Error() text; any other value
// in which nothing is masked is returned as it was.
func (x *Redactor) RedactValue(v slog.Value) (slog.Value, bool) {
	var t tally
	out, ok := x.value(v, &t)
	x.c.flush(&t)
	return out, ok
}

// RedactAttr returns a with its value masked whole when its key matches a
// key rule (group values keep their structure and have every leaf masked),
// and with RedactValue applied otherwise; a key that itself contains a
// secret is masked too. It reports whether the result differs from a.
func (x *Redactor) RedactAttr(a slog.Attr) (slog.Attr, bool) {
	var t tally
	out, ok := x.attr(a, &t)
	x.c.flush(&t)
	return out, ok
}

// Shared verdicts for keys that are not cached and contain no secret.
var (
	safeVerdict   = &keyVerdict{}
	secretVerdict = &keyVerdict{secret: true}
	ownVerdict    = &keyVerdict{own: true}
)

// attrVerdict is verdict for an attribute key or group name: such a key,
// most often a string constant, is looked up first by the address and
// length of its bytes (see keyCache).
func (x *Redactor) attrVerdict(key string, t *tally) *keyVerdict {
	if x.cache == nil || len(key) > maxCachedKeyLen {
		return x.verdict(key, t)
	}
	e := &x.cache.byAddr[addrSlot(key)]
	if v := e.load(key); v != nil {
		t.cacheHits++
		return v
	}
	v := x.verdict(key, t)
	e.store(v)
	return v
}

// verdict returns the cached or freshly computed verdict for key, which
// may be a view of a buffer that changes after the call. The result is
// shared and must not be modified.
func (x *Redactor) verdict(key string, t *tally) *keyVerdict {
	var h uint64
	cacheable := x.cache != nil && len(key) <= maxCachedKeyLen
	if cacheable {
		var v *keyVerdict
		if v, h = x.cache.get(key); v != nil {
			t.cacheHits++
			return v
		}
		t.cacheMisses++
	}
	own := isOwnKey(key)
	secret := !own && x.keys.isSecret(key)
	var kt tally
	masked, changed := x.text(key, &kt)
	if !cacheable && !changed {
		switch {
		case own:
			return ownVerdict
		case secret:
			return secretVerdict
		}
		return safeVerdict
	}
	v := &keyVerdict{key: key, secret: secret, own: own}
	if changed {
		v.masked, v.changed = masked, true
		v.hits = kt.patterns
	}
	if cacheable {
		// The key is copied: it may point into a caller's buffer (a JSON
		// body seen through unsafe.String) that changes after this call.
		v.key = strings.Clone(key)
		x.cache.put(h, v)
	}
	return v
}

// secretKey is the key=value scanner's view of verdict.
func (x *Redactor) secretKey(key string, t *tally) bool {
	return x.verdict(key, t).secret
}

// attr implements RedactAttr.
func (x *Redactor) attr(a slog.Attr, t *tally) (slog.Attr, bool) {
	return x.attrWith(a, x.attrVerdict(a.Key, t), t)
}

// cleanValue reports whether value would return v unchanged, for the kinds
// it can tell without masking anything (strings the pre-screen clears,
// numbers that are not card numbers, booleans, durations, times). It
// counts nothing; false means "not known to be clean", and the caller
// runs value.
func (x *Redactor) cleanValue(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindString:
		return x.cleanString(v.String())
	case slog.KindInt64:
		i := v.Int64()
		return i <= 0 || x.enabled&(1<<patCard) == 0 || !isCardInt(uint64(i))
	case slog.KindUint64:
		return x.enabled&(1<<patCard) == 0 || !isCardInt(v.Uint64())
	case slog.KindFloat64:
		return x.enabled&(1<<patCard) == 0 || !isCardFloat(v.Float64())
	case slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	}
	return false
}

// attrWith is attr with the key's verdict vd already looked up.
func (x *Redactor) attrWith(a slog.Attr, vd *keyVerdict, t *tally) (slog.Attr, bool) {
	key, keyChanged := a.Key, false
	if vd.changed {
		key, keyChanged = vd.masked, true
		t.addHits(&vd.hits)
	}
	if vd.secret {
		return slog.Attr{Key: key, Value: x.maskWhole(a.Value, t, 0)}, true
	}
	if vd.own && isScalar(a.Value) {
		return a, false
	}
	v, ok := x.value(a.Value, t)
	return slog.Attr{Key: key, Value: v}, ok || keyChanged
}

// maskWhole replaces every leaf of v with the replacement, keeping the
// structure of groups and their keys, each masked as any key is (a key
// that itself contains a secret is written masked).
func (x *Redactor) maskWhole(v slog.Value, t *tally, depth int) slog.Value {
	v = v.Resolve()
	if v.Kind() != slog.KindGroup || depth >= maxGroupDepth {
		t.keyMasked++
		return x.replValue
	}
	g := v.Group()
	out := make([]slog.Attr, len(g))
	for i, a := range g {
		key := a.Key
		if vd := x.attrVerdict(key, t); vd.changed {
			key = vd.masked
			t.addHits(&vd.hits)
		}
		out[i] = slog.Attr{Key: key, Value: x.maskWhole(a.Value, t, depth+1)}
	}
	return slog.GroupValue(out...)
}

// value implements RedactValue.
func (x *Redactor) value(v slog.Value, t *tally) (slog.Value, bool) {
	switch v.Kind() {
	case slog.KindString:
		if s, ok := x.body(v.String(), t, 0); ok {
			return slog.StringValue(s), true
		}
	case slog.KindFloat64:
		if x.enabled&(1<<patCard) != 0 && isCardFloat(v.Float64()) {
			t.hit(patCard)
			return x.replValue, true
		}
	case slog.KindInt64:
		if i := v.Int64(); i > 0 && x.enabled&(1<<patCard) != 0 && isCardInt(uint64(i)) {
			t.hit(patCard)
			return x.replValue, true
		}
	case slog.KindUint64:
		if x.enabled&(1<<patCard) != 0 && isCardInt(v.Uint64()) {
			t.hit(patCard)
			return x.replValue, true
		}
	case slog.KindGroup:
		g := v.Group()
		var out []slog.Attr
		for i, a := range g {
			na, ok := x.attr(a, t)
			if ok && out == nil {
				out = slices.Clone(g)
			}
			if out != nil {
				out[i] = na
			}
		}
		if out != nil {
			return slog.GroupValue(out...), true
		}
	case slog.KindLogValuer:
		rv := v.Resolve()
		nv, _ := x.value(rv, t)
		return nv, true
	case slog.KindAny:
		if nv, ok := x.anyValue(v.Any(), t); ok {
			return nv, true
		}
	}
	return v, false
}

// safeError returns err.Error(), or a fixed text when Error panics (a nil
// pointer with a value receiver), as slog itself does.
func safeError(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = "<panic in Error>"
		}
	}()
	return err.Error()
}

// span is one part of a string to mask.
type span struct {
	start, end int
	pat        pattern
}

func (t *tally) hit(p pattern) {
	t.patterns[p]++
	t.anyPattern = true
}

func (t *tally) addHits(h *patternHits) {
	for p, n := range h {
		if n > 0 {
			t.patterns[p] += n
			t.anyPattern = true
		}
	}
}

// patternHits counts matches by pattern.
type patternHits = [numPatterns]uint32

// text masks the secrets the value patterns find in s.
func (x *Redactor) text(s string, t *tally) (string, bool) {
	f := prescreen(s) & x.enabled
	if f == 0 && len(x.custom) == 0 {
		return s, false
	}
	var spans []span
	for p := pattern(0); f != 0 && p < patCustom; p++ {
		if f&(1<<p) == 0 {
			continue
		}
		f &^= 1 << p
		spans = x.findBuiltin(p, s, t, spans)
	}
	for i := range x.custom {
		cp := &x.custom[i]
		if cp.Literal == "" || strings.Contains(s, cp.Literal) {
			spans = findRegexp(cp.Regexp, s, 1, false, nil, patCustom, spans)
		}
	}
	if len(spans) == 0 {
		return s, false
	}
	return x.apply(s, spans, t), true
}

// findBuiltin appends to spans the spans of s that the built-in rule p
// masks.
func (x *Redactor) findBuiltin(p pattern, s string, t *tally, spans []span) []span {
	switch p {
	case patCard:
		return findCards(s, spans)
	case patKeyValue:
		return x.findKeyValues(s, t, spans)
	case patBearer:
		return findSchemeCredentials(s, "bearer", isBearerByte, looksLikeCredential, patBearer, spans)
	case patBasic:
		return findSchemeCredentials(s, "basic", isBase64Byte, isBasicCredential, patBasic, spans)
	case patURLPassword:
		return findURLPasswords(s, spans)
	}
	for _, r := range builtinRegexps[p] {
		spans = findRegexp(r.re, s, r.group, r.wordStart, r.valid, p, spans)
	}
	return spans
}

// findRegexp appends the spans of re's matches in s. group selects the
// submatch masked (0 the whole match, or the whole match when that group
// did not take part); valid, when set, must accept the masked text. With
// wordStart, a match that follows a letter, digit
// or underscore is rejected and the search resumes one byte after its
// start, as a leading \b would.
func findRegexp(re *regexp.Regexp, s string, group int, wordStart bool, valid func(string) bool, p pattern, out []span) []span {
	for pos := 0; pos < len(s); {
		m := re.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			break
		}
		mstart, mend := pos+m[0], pos+m[1]
		if wordStart && mstart > 0 && isAlnum(s[mstart-1]) {
			pos = mstart + 1
			continue
		}
		start, end := mstart, mend
		if group > 0 && len(m) > 2*group+1 && m[2*group] >= 0 {
			start, end = pos+m[2*group], pos+m[2*group+1]
		}
		if end > start && (valid == nil || valid(s[start:end])) {
			out = append(out, span{start: start, end: end, pat: p})
		}
		if mend > mstart {
			pos = mend
		} else {
			pos = mstart + 1
		}
	}
	return out
}

// apply replaces the spans of s (counting them) and returns the result.
// Overlapping and touching spans are merged into one replacement.
func (x *Redactor) apply(s string, spans []span, t *tally) string {
	for _, sp := range spans {
		t.hit(sp.pat)
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var b strings.Builder
	b.Grow(len(s) + len(spans)*len(x.repl))
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[pos:start])
		b.WriteString(x.repl)
		pos = end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// findKeyValues runs the key=value scanner with the redactor's key rules.
func (x *Redactor) findKeyValues(s string, t *tally, out []span) []span {
	out = scanKeyValues(s, x, t, out)
	out = scanFlags(s, x, t, out)
	return scanElements(s, x, t, out)
}
