package handler

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// appendJSONFast appends v as encoding/json (HTML escaping off) encodes it,
// for the values of kind Any that logs carry most: byte slices, times,
// small maps of strings, numbers and booleans, string and int slices, and
// flat structs of such fields. It reports false, with b unchanged in
// content, for anything else or anything encoding/json would reject (NaN,
// a year outside [0, 9999]); the caller then uses encoding/json itself.
// It calls no method of v.
func appendJSONFast(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"'), true
	case time.Time:
		if !marshalsAsRFC3339(x) {
			return b, false
		}
		return appendJSONTime(b, x, false), true
	case time.Duration:
		return appendInt(b, int64(x)), true
	case []string:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMarshaledString(b, s)
		}
		return append(b, ']'), true
	case []int:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, n := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, int64(n))
		}
		return append(b, ']'), true
	case map[string]string:
		return appendStringMap(b, x, appendMarshaledString)
	case map[string]int:
		return appendStringMap(b, x, func(b []byte, n int) []byte { return appendInt(b, int64(n)) })
	case map[string]any:
		start := len(b)
		ok := true
		b, fits := appendStringMap(b, x, func(b []byte, e any) []byte {
			b, ok1 := appendJSONScalar(b, e)
			ok = ok && ok1
			return b
		})
		if !fits || !ok {
			return b[:start], false
		}
		return b, true
	}
	return appendJSONStruct(b, v)
}

// marshalsAsRFC3339 reports whether t.MarshalJSON succeeds, writing the
// time.RFC3339Nano text: it fails for a year outside [0, 9999] and for a
// zone offset of 24 hours or more.
func marshalsAsRFC3339(t time.Time) bool {
	if y := t.Year(); y < 0 || y >= 10000 {
		return false
	}
	_, offset := t.Zone()
	return offset > -24*3600 && offset < 24*3600
}

// appendJSONScalar appends a map[string]any element that is nil, a string,
// a bool, an int, an int64 or a finite float64; it reports false for
// anything else.
func appendJSONScalar(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendMarshaledString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return appendInt(b, int64(x)), true
	case int64:
		return appendInt(b, x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, false
		}
		return appendJSONFloat(b, x), true
	}
	return b, false
}

// maxFastMapLen is the largest map appendStringMap sorts on the stack.
const maxFastMapLen = 16

// appendStringMap appends m as a JSON object with its keys sorted, as
// encoding/json writes a map with string keys. It reports false (appending
// nothing) for a map of more than maxFastMapLen entries.
func appendStringMap[V any](b []byte, m map[string]V, appendValue func([]byte, V) []byte) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	if len(m) > maxFastMapLen {
		return b, false
	}
	type entry struct {
		key   string
		value V
	}
	var store [maxFastMapLen]entry
	entries := store[:0]
	for k, v := range m {
		if len(entries) == maxFastMapLen { // the map grew while we read it
			return b, false
		}
		entries = append(entries, entry{k, v})
	}
	slices.SortFunc(entries, func(x, y entry) int { return strings.Compare(x.key, y.key) })
	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMarshaledString(b, e.key)
		b = append(b, ':')
		b = appendValue(b, e.value)
	}
	return append(b, '}'), true
}
