package redact

import (
	"encoding/json"
	"strings"
	"unsafe"
)

// maxJSONDepth bounds the nesting RedactJSON walks; deeper documents are
// masked as text.
const maxJSONDepth = 64

// RedactJSON masks a JSON document, such as a captured request or response
// body, and reports whether anything was masked. When nothing is, it
// returns b itself.
//
// For a complete, valid document it walks the structure in one pass: the
// value of a member whose name (escapes decoded) matches a key rule is
// replaced, whatever its type (a string, a number, an object, an array), by
// the replacement as a JSON string; a number that is a card number is
// replaced the same way; every other string (member names included) is
// decoded and masked as a body, so escapes such as \u0077 or \n are read
// as a JSON reader reads them and a string that itself holds a JSON
// document is masked as JSON. The result is valid JSON with the original
// layout, member order and number spelling; a masked string is re-encoded.
//
// Anything else (a body cut short by a capture limit, invalid JSON, nesting
// deeper than 64) is masked as text with RedactString, whose key=value
// pattern still masks "name":"value" and name=value pairs of secret keys;
// the result is then text, not necessarily valid JSON.
func (x *Redactor) RedactJSON(b []byte) ([]byte, bool) {
	var t tally
	defer x.c.flush(&t)
	if out, changed, valid := x.jsonDoc(b, &t, 0); valid {
		if !changed {
			return b, false
		}
		return out, true
	}
	s, changed := x.text(unsafe.String(unsafe.SliceData(b), len(b)), &t)
	if !changed {
		return b, false
	}
	return []byte(s), true
}

// RedactBody masks a captured HTTP request or response body and returns
// the result: b itself when nothing is masked. It applies RedactJSON, which
// keeps valid JSON valid and masks any other text (form bodies with plain,
// bracketed or percent-encoded keys, plain text, a JSON body cut short) as
// text, so the content type is not needed; the parameter is there so that
// the method value r.RedactBody fits httpctx.BodyOptions.Redact.
func (x *Redactor) RedactBody(contentType string, b []byte) []byte {
	out, _ := x.RedactJSON(b)
	return out
}

// jsonDoc masks b when it is one complete, valid JSON document at a
// nesting depth of depth. valid is false for anything else, and then
// nothing is counted but the key-cache lookups. A changed result is a new
// slice.
func (x *Redactor) jsonDoc(b []byte, t *tally, depth int) (out []byte, changed, valid bool) {
	m := jsonMasker{x: x, src: b}
	end, ok := m.value(m.space(0), depth)
	if !ok || m.space(end) != len(b) {
		t.cacheHits += m.t.cacheHits
		t.cacheMisses += m.t.cacheMisses
		return nil, false, false
	}
	t.add(&m.t)
	if m.out == nil {
		return b, false, true
	}
	return append(m.out, b[m.last:]...), true, true
}

// isJSONStart reports whether s, after leading white space, starts like a
// JSON object or array.
func isJSONStart(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// cleanString reports whether body would return s unchanged, judged by the
// byte pre-screen alone: no pattern may match, no custom pattern is set,
// and s is not a JSON document with escapes (whose decoded text the
// pre-screen has not seen).
func (x *Redactor) cleanString(s string) bool {
	return len(x.custom) == 0 && prescreen(s)&x.enabled == 0 &&
		!(isJSONStart(s) && strings.IndexByte(s, '\\') >= 0)
}

// body masks a string value: a complete, valid JSON object or array as
// JSON (see RedactJSON), anything else as text.
func (x *Redactor) body(s string, t *tally, depth int) (string, bool) {
	if x.cleanString(s) {
		return s, false
	}
	if isJSONStart(s) {
		out, changed, valid := x.jsonDoc(unsafe.Slice(unsafe.StringData(s), len(s)), t, depth)
		if valid {
			if !changed {
				return s, false
			}
			return string(out), true
		}
	}
	return x.text(s, t)
}

// jsonMasker walks one JSON document, copying it to out only from the first
// change on.
type jsonMasker struct {
	x    *Redactor
	t    tally // counts of this document, added to the caller's when valid
	src  []byte
	out  []byte
	last int // src[last:] is not yet in out
	// skip: only check the syntax (inside a value masked whole).
	skip bool
}

// replace puts with in place of src[start:end].
func (m *jsonMasker) replace(start, end int, with string) {
	if m.out == nil {
		m.out = make([]byte, 0, len(m.src)+len(with))
	}
	m.out = append(m.out, m.src[m.last:start]...)
	m.out = append(m.out, with...)
	m.last = end
}

func (m *jsonMasker) space(i int) int {
	for i < len(m.src) {
		switch m.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// str returns the index just past the string starting at i (m.src[i] is
// '"'), and whether its raw content contains a backslash.
func (m *jsonMasker) str(i int) (int, bool, bool) {
	esc := false
	for j := i + 1; j < len(m.src); j++ {
		switch c := m.src[j]; {
		case c == '"':
			return j + 1, esc, true
		case c == '\\':
			esc = true
			j++
		case c < 0x20:
			return 0, false, false
		}
	}
	return 0, false, false
}

// value walks the value starting at i and returns the index past it.
func (m *jsonMasker) value(i, depth int) (int, bool) {
	if i >= len(m.src) || depth > maxJSONDepth {
		return 0, false
	}
	switch c := m.src[i]; {
	case c == '{':
		return m.object(i, depth)
	case c == '[':
		return m.array(i, depth)
	case c == '"':
		end, esc, ok := m.str(i)
		if !ok {
			return 0, false
		}
		return end, m.maskString(i, end, esc, depth)
	case c == '-' || isDigit(c) || c == 't' || c == 'f' || c == 'n':
		j := i
		for j < len(m.src) && (isAlnum(m.src[j]) || m.src[j] == '-' || m.src[j] == '+' || m.src[j] == '.') {
			j++
		}
		if !validLiteral(m.src[i:j]) {
			return 0, false
		}
		m.maskNumber(i, j)
		return j, true
	}
	return 0, false
}

// maskNumber replaces the literal src[start:end] when it is a whole number
// that is a card number, however it is spelled (with a fraction or an
// exponent: 4111111111111111.0, 4111111111111111e0).
func (m *jsonMasker) maskNumber(start, end int) {
	lit := m.src[start:end]
	if m.skip || m.x.enabled&(1<<patCard) == 0 || len(lit) < 2 || !isDigit(lit[0]) {
		return
	}
	if isCardLiteral(lit) {
		m.t.hit(patCard)
		m.replace(start, end, m.x.replJSON)
	}
}

// maskString masks the string token src[start:end] (quotes included) as a
// body, reading it as a JSON reader does: escapes decoded; a string that
// is the base64 encoding of text, as encoding/json writes a []byte, is
// masked as the decoded body (see base64Body). A changed string is
// re-encoded in place. It reports false when the token is not a
// valid JSON string.
func (m *jsonMasker) maskString(start, end int, escaped bool, depth int) bool {
	raw := m.src[start+1 : end-1]
	s := unsafe.String(unsafe.SliceData(raw), len(raw))
	if escaped {
		var ok bool
		if s, ok = decodeJSONString(m.src[start:end]); !ok {
			return false
		}
	}
	if m.skip {
		return true
	}
	masked, changed := m.x.base64Body(s, &m.t, depth+1)
	if !changed {
		masked, changed = m.x.body(s, &m.t, depth+1)
	}
	if changed {
		m.replace(start, end, appendJSONString(nil, masked))
	}
	return true
}

// appendJSONString appends s to b as a JSON string, escaping only what JSON
// requires (quotes, backslashes and control bytes), as slog.JSONHandler
// does without HTML escaping; other bytes are kept as they are.
func appendJSONString(b []byte, s string) string {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

func (m *jsonMasker) object(i, depth int) (int, bool) {
	i = m.space(i + 1)
	if i < len(m.src) && m.src[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(m.src) || m.src[i] != '"' {
			return 0, false
		}
		kend, esc, ok := m.str(i)
		if !ok {
			return 0, false
		}
		secret, ok := m.secretName(i, kend, esc)
		if !ok || !m.maskString(i, kend, esc, depth) {
			return 0, false
		}
		i = m.space(kend)
		if i >= len(m.src) || m.src[i] != ':' {
			return 0, false
		}
		vstart := m.space(i + 1)
		if secret {
			// Walk without masking inside, then replace the whole value.
			vend, ok := m.skipValue(vstart, depth+1)
			if !ok {
				return 0, false
			}
			m.replace(vstart, vend, m.x.replJSON)
			m.t.keyMasked++
			i = vend
		} else {
			vend, ok := m.value(vstart, depth+1)
			if !ok {
				return 0, false
			}
			i = vend
		}
		i = m.space(i)
		if i >= len(m.src) {
			return 0, false
		}
		switch m.src[i] {
		case ',':
			i = m.space(i + 1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// secretName judges the member name src[start:end] (quotes included),
// escapes decoded.
func (m *jsonMasker) secretName(start, end int, escaped bool) (secret, ok bool) {
	if escaped {
		name, ok := decodeJSONString(m.src[start:end])
		if !ok || m.skip {
			return false, ok
		}
		return m.x.verdict(name, &m.t).secret, true
	}
	if m.skip {
		return false, true // inside a value masked whole: syntax only
	}
	raw := m.src[start+1 : end-1]
	return m.x.verdict(unsafe.String(unsafe.SliceData(raw), len(raw)), &m.t).secret, true
}

// skipValue checks the syntax of the value starting at i, which is masked
// whole, without masking inside it, and returns the index past it.
func (m *jsonMasker) skipValue(i, depth int) (int, bool) {
	sub := jsonMasker{x: m.x, src: m.src, skip: true}
	end, ok := sub.value(i, depth)
	m.t.cacheHits += sub.t.cacheHits
	m.t.cacheMisses += sub.t.cacheMisses
	return end, ok
}

// decodeJSONString decodes the JSON string token tok (quotes included).
func decodeJSONString(tok []byte) (string, bool) {
	var s string
	if json.Unmarshal(tok, &s) != nil {
		return "", false
	}
	return s, true
}

func (m *jsonMasker) array(i, depth int) (int, bool) {
	i = m.space(i + 1)
	if i < len(m.src) && m.src[i] == ']' {
		return i + 1, true
	}
	for {
		end, ok := m.value(i, depth+1)
		if !ok {
			return 0, false
		}
		i = m.space(end)
		if i >= len(m.src) {
			return 0, false
		}
		switch m.src[i] {
		case ',':
			i = m.space(i + 1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// quoteJSON returns s as a JSON string.
func quoteJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return `"` + defaultReplacement + `"`
	}
	return string(b)
}

// validLiteral reports whether b is true, false, null or a JSON number.
func validLiteral(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i == len(b)
}
