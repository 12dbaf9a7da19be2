package redact

import (
	"encoding/json"
	"unsafe"
)

// maxJSONDepth bounds the nesting RedactJSON walks; deeper documents are
// masked as text.
const maxJSONDepth = 64

// JSON masks a JSON document with the default rules (the zero Options); see
// Redactor.RedactJSON.
func JSON(b []byte) ([]byte, bool) { return defaultRedactor().RedactJSON(b) }

// RedactJSON masks a JSON document, such as a captured request or response
// body, and reports whether anything was masked. When nothing is, it
// returns b itself.
//
// For a complete, valid document it walks the structure in one pass without
// decoding it: the value of a member whose name matches a key rule is
// replaced, whatever its type (a string, a number, an object, an array), by
// the replacement as a JSON string; every other string (member names
// included) is scanned by the value patterns. The result is valid JSON with
// the original layout, member order and number spelling.
//
// Anything else (a body cut short by a capture limit, invalid JSON, nesting
// deeper than 64) is masked as text with RedactString, whose key=value
// pattern still masks "name":"value" pairs of secret keys; the result is
// then text, not necessarily valid JSON.
func (x *Redactor) RedactJSON(b []byte) ([]byte, bool) {
	var t tally
	defer x.c.flush(&t)
	m := jsonMasker{x: x, t: &t, src: b}
	end, ok := m.value(m.space(0), 0)
	if ok && m.space(end) == len(b) {
		if m.out == nil {
			return b, false
		}
		return append(m.out, b[m.last:]...), true
	}
	t = tally{}
	s, changed := x.text(unsafe.String(unsafe.SliceData(b), len(b)), &t)
	if !changed {
		return b, false
	}
	return []byte(s), true
}

// RedactBody masks a captured HTTP request or response body and returns
// the result: b itself when nothing is masked. It applies RedactJSON, which
// keeps valid JSON valid and masks any other text (form bodies, plain text,
// a JSON body cut short) as text, so the content type is not needed; the
// parameter is there so that the method value r.RedactBody fits
// httpctx.BodyOptions.Redact.
func (x *Redactor) RedactBody(contentType string, b []byte) []byte {
	out, _ := x.RedactJSON(b)
	return out
}

// jsonMasker walks one JSON document, copying it to out only from the first
// change on.
type jsonMasker struct {
	x    *Redactor
	t    *tally
	src  []byte
	out  []byte
	last int // src[last:] is not yet in out
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
		end, _, ok := m.str(i)
		if !ok {
			return 0, false
		}
		m.maskString(i+1, end-1)
		return end, true
	case c == '-' || isDigit(c) || c == 't' || c == 'f' || c == 'n':
		j := i
		for j < len(m.src) && (isAlnum(m.src[j]) || m.src[j] == '-' || m.src[j] == '+' || m.src[j] == '.') {
			j++
		}
		if !validLiteral(m.src[i:j]) {
			return 0, false
		}
		return j, true
	}
	return 0, false
}

// maskString scans the raw content src[start:end] of a string.
func (m *jsonMasker) maskString(start, end int) {
	raw := m.src[start:end]
	s, changed := m.x.text(unsafe.String(unsafe.SliceData(raw), len(raw)), m.t)
	if !changed {
		return
	}
	if !validStringContent(s) {
		// A custom pattern cut an escape sequence in two: mask it all.
		s = m.x.repl
		if !validStringContent(s) {
			s = DefaultReplacement
		}
	}
	m.replace(start, end, s)
}

// validStringContent reports whether s can stand between the quotes of a
// JSON string: no bare quote or control byte, no cut escape.
func validStringContent(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(s) {
				return false
			}
		}
	}
	return true
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
		if !ok {
			return 0, false
		}
		m.maskString(i+1, kend-1)
		i = m.space(kend)
		if i >= len(m.src) || m.src[i] != ':' {
			return 0, false
		}
		vstart := m.space(i + 1)
		if secret {
			// Walk without masking inside, then replace the whole value.
			sub := jsonMasker{x: m.x, t: &tally{}, src: m.src}
			vend, ok := sub.value(vstart, depth+1)
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

// secretName judges the member name src[start:end] (quotes included).
func (m *jsonMasker) secretName(start, end int, escaped bool) (secret, ok bool) {
	if escaped {
		var name string
		if json.Unmarshal(m.src[start:end], &name) != nil {
			return false, false
		}
		return m.x.verdict(name, m.t).secret, true
	}
	raw := m.src[start+1 : end-1]
	return m.x.verdict(unsafe.String(unsafe.SliceData(raw), len(raw)), m.t).secret, true
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
		return `"` + DefaultReplacement + `"`
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
