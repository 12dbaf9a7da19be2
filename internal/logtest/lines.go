package logtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// DecodeLines decodes s as JSON lines, one object per line, in order. A
// newline ends each line; the last line may lack it. An empty s gives nil.
// A line that is not a JSON object (an empty line, invalid JSON, JSON null
// or a non-object value, or trailing data) fails t with t.Fatalf, naming
// the line.
func DecodeLines(t testing.TB, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	n := 0
	for line := range strings.Lines(s) {
		n++
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", n, err, line)
		}
		if m == nil {
			t.Fatalf("line %d is not a JSON object: %q", n, line)
		}
		out = append(out, m)
	}
	return out
}
