package redact

import (
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// maxAnyDepth bounds the nesting of maps and slices walked inside an Any
// value; anything deeper is masked whole (a cycle cannot hang the redactor,
// and a secret cannot hide below the limit).
const maxAnyDepth = 8

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
	enabled   uint32 // bit p set: built-in Pattern p is on
	custom    []CustomPattern
	c         counters
}

// NewRedactor returns a Redactor for opts. The zero Options gives the
// defaults described on Options.
func NewRedactor(opts Options) *Redactor {
	x := &Redactor{
		repl:  opts.Replacement,
		keys:  newKeyRules(&opts),
		cache: newKeyCache(opts.KeyCacheSize),
	}
	if x.repl == "" {
		x.repl = DefaultReplacement
	}
	x.replValue = slog.StringValue(x.repl)
	x.replJSON = quoteJSON(x.repl)
	x.enabled = 1<<PatternCustom - 1
	for _, p := range opts.DisablePatterns {
		if p < numPatterns {
			x.enabled &^= 1 << p
		}
	}
	if len(x.keys.rules) == 0 {
		x.enabled &^= 1 << PatternKeyValue
	}
	for _, cp := range opts.Patterns {
		if cp.Regexp != nil && !slices.Contains(opts.DisablePatterns, PatternCustom) {
			x.custom = append(x.custom, cp)
		}
	}
	return x
}

var defaultRedactor = sync.OnceValue(func() *Redactor { return NewRedactor(Options{}) })

// String masks s with the default rules (the zero Options) and reports
// whether anything was masked. When nothing is, it returns s itself without
// allocating.
func String(s string) (string, bool) { return defaultRedactor().RedactString(s) }

// Stats returns the redactor's counters. Records and RecordsChanged are
// counted only by a Handler.
func (x *Redactor) Stats() Stats { return x.c.stats() }

// IsSecretKey reports whether an attribute with this key has its value
// masked whole.
func (x *Redactor) IsSecretKey(key string) bool {
	var t tally
	v := x.verdict(key, &t)
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
// from v. Strings, error texts and []byte are scanned by the value patterns
// (an error or []byte becomes the masked string only when something was
// masked); card numbers are also found in int64 and uint64 values; group
// values are walked with the key rules applied to their attributes;
// LogValuer values are resolved first (the result is then always the
// resolved value, and the boolean true). Inside an Any value, maps with
// string keys (the key rules apply to their keys, so http.Header and
// url.Values are covered) and slices are walked up to a depth of 8 and
// copied when something in them is masked; anything nested deeper is masked
// whole. Structs and other kinds are returned unchanged: give such types a
// LogValue method.
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
)

// verdict returns the cached or freshly computed verdict for key. The result
// is shared and must not be modified.
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
	secret := x.keys.isSecret(key)
	var kt tally
	masked, changed := x.text(key, &kt)
	if !cacheable && !changed {
		if secret {
			return secretVerdict
		}
		return safeVerdict
	}
	v := &keyVerdict{key: key, secret: secret}
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
	return x.attrWith(a, x.verdict(a.Key, t), t)
}

// cleanValue reports whether value would return v unchanged, for the kinds
// it can tell without masking anything (strings the pre-screen clears,
// numbers that are not card numbers, booleans, durations, times). It
// counts nothing; false means "not known to be clean", and the caller
// runs value.
func (x *Redactor) cleanValue(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindString:
		return len(x.custom) == 0 && prescreen(v.String())&x.enabled == 0
	case slog.KindInt64:
		i := v.Int64()
		return i <= 0 || x.enabled&(1<<PatternCard) == 0 || !isCardInt(uint64(i))
	case slog.KindUint64:
		return x.enabled&(1<<PatternCard) == 0 || !isCardInt(v.Uint64())
	case slog.KindBool, slog.KindFloat64, slog.KindDuration, slog.KindTime:
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
	v, ok := x.value(a.Value, t)
	return slog.Attr{Key: key, Value: v}, ok || keyChanged
}

// maskWhole replaces every leaf of v with the replacement, keeping the keys
// and structure of groups.
func (x *Redactor) maskWhole(v slog.Value, t *tally, depth int) slog.Value {
	v = v.Resolve()
	if v.Kind() != slog.KindGroup || depth >= maxAnyDepth {
		t.keyMasked++
		return x.replValue
	}
	g := v.Group()
	out := make([]slog.Attr, len(g))
	for i, a := range g {
		out[i] = slog.Attr{Key: a.Key, Value: x.maskWhole(a.Value, t, depth+1)}
	}
	return slog.GroupValue(out...)
}

// value implements RedactValue.
func (x *Redactor) value(v slog.Value, t *tally) (slog.Value, bool) {
	switch v.Kind() {
	case slog.KindString:
		if s, ok := x.text(v.String(), t); ok {
			return slog.StringValue(s), true
		}
	case slog.KindInt64:
		if i := v.Int64(); i > 0 && x.enabled&(1<<PatternCard) != 0 && isCardInt(uint64(i)) {
			t.hit(PatternCard)
			return x.replValue, true
		}
	case slog.KindUint64:
		if x.enabled&(1<<PatternCard) != 0 && isCardInt(v.Uint64()) {
			t.hit(PatternCard)
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
		if nv, ok := x.anyValue(v.Any(), t, 0); ok {
			return slog.AnyValue(nv), true
		}
	}
	return v, false
}

// anyValue masks inside the common dynamic types. It returns the masked
// value and true, or (nil, false) when nothing changed.
func (x *Redactor) anyValue(a any, t *tally, depth int) (any, bool) {
	if depth > maxAnyDepth {
		t.keyMasked++
		return x.repl, true
	}
	switch a := a.(type) {
	case string:
		if s, ok := x.text(a, t); ok {
			return s, true
		}
	case error:
		if a == nil {
			return nil, false
		}
		if s, ok := x.text(safeError(a), t); ok {
			return s, true
		}
	case []byte:
		if s, ok := x.text(unsafe.String(unsafe.SliceData(a), len(a)), t); ok {
			return s, true
		}
	case map[string]string:
		var out map[string]string
		for k, v := range a {
			nk, nv, ok := x.mapEntry(k, v, t, depth)
			if ok && out == nil {
				out = make(map[string]string, len(a))
				for k2, v2 := range a {
					out[k2] = v2
				}
			}
			if ok {
				delete(out, k)
				out[nk] = nv.(string)
			}
		}
		if out != nil {
			return out, true
		}
	case map[string]any:
		var out map[string]any
		for k, v := range a {
			nk, nv, ok := x.mapEntry(k, v, t, depth)
			if ok && out == nil {
				out = make(map[string]any, len(a))
				for k2, v2 := range a {
					out[k2] = v2
				}
			}
			if ok {
				delete(out, k)
				out[nk] = nv
			}
		}
		if out != nil {
			return out, true
		}
	case []string:
		var out []string
		for i, v := range a {
			s, ok := x.text(v, t)
			if ok && out == nil {
				out = slices.Clone(a)
			}
			if ok {
				out[i] = s
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, v := range a {
			nv, ok := x.anyValue(v, t, depth+1)
			if ok && out == nil {
				out = slices.Clone(a)
			}
			if ok {
				out[i] = nv
			}
		}
		if out != nil {
			return out, true
		}
	case slog.Value:
		if nv, ok := x.value(a, t); ok {
			return nv, true
		}
	case nil:
	default:
		return x.reflectValue(reflect.ValueOf(a), t, depth)
	}
	return nil, false
}

// reflectValue masks inside maps with string keys and slices of other named
// types (http.Header, url.Values, map[string][]string, []error, ...). A
// changed map comes back as a map[string]any, a changed slice of strings as
// a []string and any other changed slice as an []any, which encode the same
// way. Elements that cannot hold text (numbers,
// booleans, structs) are not looked at. Walking a clean slice allocates
// nothing; walking a clean map allocates two holders, whatever its size.
func (x *Redactor) reflectValue(rv reflect.Value, t *tally, depth int) (any, bool) {
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		var out map[string]any
		var it reflect.MapIter
		it.Reset(rv)
		// One key and one value holder for the whole walk: MapIter.Key and
		// MapIter.Value would allocate a copy per entry.
		kh := reflect.New(rv.Type().Key()).Elem()
		vh := reflect.New(rv.Type().Elem()).Elem()
		for it.Next() {
			kh.SetIterKey(&it)
			vh.SetIterValue(&it)
			k := kh.String()
			vd := x.verdict(k, t)
			var nv any
			ok := false
			switch {
			case vd.secret:
				t.keyMasked++
				nv, ok = x.repl, true
			default:
				nv, ok = x.reflectElem(vh, t, depth)
			}
			nk := k
			if vd.changed {
				nk = vd.masked
				t.addHits(&vd.hits)
			}
			if !ok && !vd.changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, rv.Len())
				var it2 reflect.MapIter
				it2.Reset(rv)
				for it2.Next() {
					out[it2.Key().String()] = it2.Value().Interface()
				}
			}
			if !ok {
				nv = out[k]
			}
			delete(out, k)
			out[nk] = nv
		}
		if out != nil {
			return out, true
		}
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.String {
			var out []string
			for i := 0; i < rv.Len(); i++ {
				s, ok := x.text(rv.Index(i).String(), t)
				if !ok {
					continue
				}
				if out == nil {
					out = make([]string, rv.Len())
					for j := range out {
						out[j] = rv.Index(j).String()
					}
				}
				out[i] = s
			}
			if out != nil {
				return out, true
			}
			return nil, false
		}
		var out []any
		for i := 0; i < rv.Len(); i++ {
			nv, ok := x.reflectElem(rv.Index(i), t, depth)
			if !ok {
				continue
			}
			if out == nil {
				out = make([]any, rv.Len())
				for j := range out {
					out[j] = rv.Index(j).Interface()
				}
			}
			out[i] = nv
		}
		if out != nil {
			return out, true
		}
	}
	return nil, false
}

// reflectElem masks one element of a map or slice walked by reflectValue.
func (x *Redactor) reflectElem(v reflect.Value, t *tally, depth int) (any, bool) {
	switch v.Kind() {
	case reflect.String:
		return x.text(v.String(), t)
	case reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		return x.anyValue(v.Elem().Interface(), t, depth+1)
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Pointer:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			b := v.Bytes()
			return x.text(unsafe.String(unsafe.SliceData(b), len(b)), t)
		}
		if v.Kind() == reflect.Pointer {
			if v.IsNil() || v.Type().Elem().Kind() == reflect.Struct {
				return nil, false
			}
			v = v.Elem()
		}
		if depth+1 > maxAnyDepth {
			t.keyMasked++
			return x.repl, true
		}
		return x.reflectValue(v, t, depth+1)
	}
	return nil, false
}

// mapEntry masks one map entry: the whole value when the key is secret,
// the value's contents otherwise; a key containing a secret is masked too.
func (x *Redactor) mapEntry(k string, v any, t *tally, depth int) (string, any, bool) {
	vd := x.verdict(k, t)
	nk := k
	if vd.changed {
		nk = vd.masked
		t.addHits(&vd.hits)
	}
	if vd.secret {
		t.keyMasked++
		return nk, x.repl, true
	}
	if nv, ok := x.anyValue(v, t, depth+1); ok {
		return nk, nv, true
	}
	return nk, v, vd.changed
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
	pat        Pattern
}

func (t *tally) hit(p Pattern) {
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
	for p := Pattern(0); f != 0 && p < PatternCustom; p++ {
		if f&(1<<p) == 0 {
			continue
		}
		f &^= 1 << p
		switch p {
		case PatternCard:
			spans = findCards(s, spans)
		case PatternKeyValue:
			spans = x.findKeyValues(s, t, spans)
		case PatternBearer:
			spans = findSchemeCredentials(s, "bearer", isBearerByte, looksLikeCredential, PatternBearer, spans)
		case PatternBasic:
			spans = findSchemeCredentials(s, "basic", isBase64Byte, isBasicCredential, PatternBasic, spans)
		case PatternURLPassword:
			spans = findURLPasswords(s, spans)
		default:
			for _, r := range builtinRegexps[p] {
				spans = findRegexp(r.re, s, r.group, r.wordStart, p, spans)
			}
		}
	}
	for i := range x.custom {
		cp := &x.custom[i]
		if cp.Literal == "" || strings.Contains(s, cp.Literal) {
			spans = findRegexp(cp.Regexp, s, 1, false, PatternCustom, spans)
		}
	}
	if len(spans) == 0 {
		return s, false
	}
	return x.apply(s, spans, t), true
}

// findRegexp appends the spans of re's matches in s. group selects the
// submatch masked (0 the whole match, or the whole match when that group
// did not take part). With wordStart, a match that follows a letter, digit
// or underscore is rejected and the search resumes one byte after its
// start, as a leading \b would.
func findRegexp(re *regexp.Regexp, s string, group int, wordStart bool, p Pattern, out []span) []span {
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
		if end > start {
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
	return scanKeyValues(s, x, t, out)
}
