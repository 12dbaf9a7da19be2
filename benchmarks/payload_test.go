package benchmarks

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// silent names the targets that never write a record.
var silent = map[string]bool{"floor": true, "slog-discard": true}

// TestTargetsWriteThePayload checks that every target writes exactly the
// standard payload, one JSON object per call, so that the benchmarks
// compare the same work. Keys that each library names its own way (time,
// level, message, source) are checked for presence only.
func TestTargetsWriteThePayload(t *testing.T) {
	leakcheck.Check(t)
	seen := map[string]bool{}
	for _, tg := range append(SyncTargets(), BufferedTargets()...) {
		if seen[tg.Name] {
			continue
		}
		seen[tg.Name] = true
		for _, src := range []bool{false, true} {
			if src && !tg.Source {
				continue
			}
			name := tg.Name
			if src {
				name += "/src"
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				s := tg.Open(&buf, Options{AddSource: src})
				const calls = 3
				for range calls {
					s.Log()
				}
				dropped, err := s.Shut()
				if err != nil {
					t.Fatal(err)
				}
				if dropped != 0 {
					t.Fatalf("dropped %d of %d records", dropped, calls)
				}
				if silent[tg.Name] {
					if buf.Len() != 0 {
						t.Fatalf("a silent target wrote %q", buf.String())
					}
					return
				}
				lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
				if len(lines) != calls {
					t.Fatalf("got %d lines, want %d:\n%s", len(lines), calls, buf.String())
				}
				for _, line := range lines {
					checkPayload(t, line, src)
				}
			})
		}
	}
}

// checkPayload fails t unless line is a JSON object carrying the standard
// payload.
func checkPayload(t *testing.T, line []byte, src bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	got := map[string]any{}
	for _, k := range []string{"service", "correlation_id", "method", "path", "status", "bytes", "ok"} {
		got[k] = m[k]
	}
	want := map[string]any{
		"service":        Service,
		"correlation_id": CorrelationID,
		"method":         Method,
		"path":           Path,
		"status":         float64(Status),
		"bytes":          float64(Bytes),
		"ok":             OK,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("payload mismatch (-want +got):\n%s\nline: %s", d, line)
	}
	if m["msg"] != Message && m["message"] != Message {
		t.Errorf("no message %q in %s", Message, line)
	}
	for _, k := range []string{"latency", "level"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, line)
		}
	}
	_, hasTime := m["time"]
	_, hasTS := m["ts"]
	if !hasTime && !hasTS {
		t.Errorf("no time in %s", line)
	}
	_, hasSource := m["source"]
	_, hasCaller := m["caller"]
	if src != (hasSource || hasCaller) {
		t.Errorf("AddSource %v, but source %v, caller %v in %s", src, hasSource, hasCaller, line)
	}
}
