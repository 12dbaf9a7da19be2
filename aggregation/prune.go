package aggregation

import (
	"bytes"
	"encoding/json"

	"github.com/slogstack/slogstack/internal/cut"
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
	v, _ = p.value(tok)
	return v, limit - p.budget, true
}

// pruner decodes a JSON document until its budget runs out.
type pruner struct {
	dec    *json.Decoder
	budget int  // JSON bytes still allowed
	done   bool // the budget ran out or the input failed: read no more
}

// value returns the value that starts with tok; false, and reading
// stops, when a number, bool or null does not fit in the budget (a string
// is cut to fit instead).
func (p *pruner) value(tok json.Token) (any, bool) {
	switch t := tok.(type) {
	case json.Delim:
		p.budget -= 2
		if t == '{' {
			return p.object(), true
		}
		return p.array(), true
	case string:
		s := cutString(t, max(p.budget-2, 0))
		p.budget -= jsonLen(s)
		return s, true
	case json.Number:
		return p.scalar(t, len(t))
	case bool:
		return p.scalar(t, 5)
	default: // null
		return p.scalar(nil, 4)
	}
}

// scalar returns v, whose JSON is size bytes long, if it fits.
func (p *pruner) scalar(v any, size int) (any, bool) {
	if size > p.budget {
		p.done = true
		return nil, false
	}
	p.budget -= size
	return v, true
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
		if v, ok := p.next(); ok {
			m[key] = v
		}
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
		if v, ok := p.next(); ok {
			a = append(a, v)
		}
	}
	p.close()
	return a
}

// next reads and returns the next value; false when it could not be read
// or did not fit.
func (p *pruner) next() (any, bool) {
	tok, err := p.dec.Token()
	if err != nil {
		p.done = true
		return nil, false
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

// cutString returns s cut to at most limit bytes (without the partial
// word at the cut, see cut.Prefix) plus an ellipsis, or s itself if it
// fits.
func cutString(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return cut.Prefix(s, limit) + ellipsis
}
