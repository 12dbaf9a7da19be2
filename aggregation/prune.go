package aggregation

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// pruneJSON returns the JSON document js, when it is an object or an
// array, as plain values (map[string]any, []any, string, json.Number,
// bool, nil) holding its first members in document order while their JSON
// fits in limit bytes; strings are cut on a rune boundary and end in "…".
// It also returns the estimated JSON length of the result. Only the part
// of js that is kept is decoded. isDoc is false when js is not an object
// or an array.
func pruneJSON(js []byte, limit int) (v any, n int, isDoc bool) {
	p := pruner{dec: json.NewDecoder(bytes.NewReader(js)), budget: limit}
	p.dec.UseNumber()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, 0, false
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' && d != '[' {
		return nil, 0, false
	}
	v = p.value(tok)
	return v, limit - p.budget, true
}

// pruner decodes a JSON document until its budget runs out.
type pruner struct {
	dec    *json.Decoder
	budget int  // JSON bytes still allowed
	done   bool // the budget ran out or the input failed: read no more
}

// value returns the value that starts with tok.
func (p *pruner) value(tok json.Token) any {
	switch t := tok.(type) {
	case json.Delim:
		p.budget -= 2
		if t == '{' {
			return p.object()
		}
		return p.array()
	case string:
		s := cutString(t, max(p.budget-2, 0))
		p.budget -= jsonLen(s)
		return s
	case json.Number:
		p.budget -= len(t)
		return t
	case bool:
		p.budget -= 5
		return t
	default: // null
		p.budget -= 4
		return nil
	}
}

func (p *pruner) object() map[string]any {
	m := map[string]any{}
	for !p.done && p.dec.More() {
		kt, err := p.dec.Token()
		key, ok := kt.(string)
		if err != nil || !ok || p.budget < jsonLen(key)+3 {
			p.done = true
			break
		}
		p.budget -= jsonLen(key) + 2 // the colon and the comma
		m[key] = p.next()
	}
	p.close()
	return m
}

func (p *pruner) array() []any {
	a := []any{}
	for !p.done && p.dec.More() {
		if p.budget < 2 {
			p.done = true
			break
		}
		p.budget-- // the comma
		a = append(a, p.next())
	}
	p.close()
	return a
}

// next reads and returns the next value.
func (p *pruner) next() any {
	tok, err := p.dec.Token()
	if err != nil {
		p.done = true
		return nil
	}
	return p.value(tok)
}

// close reads the end of an object or array unless reading has stopped.
func (p *pruner) close() {
	if p.done {
		return
	}
	if _, err := p.dec.Token(); err != nil {
		p.done = true
	}
}

// cutString returns s cut on a rune boundary to at most limit bytes plus
// an ellipsis, or s itself if it fits.
func cutString(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + ellipsis
}
