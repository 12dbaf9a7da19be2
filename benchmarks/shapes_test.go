package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// BenchmarkShapes logs every Shape once per iteration through every
// ShapeTarget to io.Discard, serially.
func BenchmarkShapes(b *testing.B) {
	ctx := context.Background()
	for _, t := range ShapeTargets() {
		for _, sh := range Shapes() {
			b.Run(t.Name+"/"+sh.Name, func(b *testing.B) {
				l := slog.New(sh.Handler(t.New(io.Discard, sh.AddSource)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					l.LogAttrs(ctx, slog.LevelInfo, Message, sh.Attrs...)
				}
			})
		}
	}
}

// shapeLine returns what h (bound as sh says) writes for one record of
// sh at a fixed time and call site.
func shapeLine(t *testing.T, sh Shape, target ShapeTarget) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := sh.Handler(target.New(&buf, sh.AddSource))
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	r := slog.NewRecord(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), slog.LevelInfo, Message, pcs[0])
	r.AddAttrs(sh.Attrs...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestShapesSlogstackWritesSlogBytes checks that handler.JSONHandler
// writes, for every shape, the very line slog.JSONHandler writes, so that
// the shape table compares the same work.
func TestShapesSlogstackWritesSlogBytes(t *testing.T) {
	targets := ShapeTargets()
	ref := shapeTarget(t, targets, "slog-json")
	ours := shapeTarget(t, targets, SlogstackJSONName)
	for _, sh := range Shapes() {
		t.Run(sh.Name, func(t *testing.T) {
			want, got := shapeLine(t, sh, ref), shapeLine(t, sh, ours)
			if !bytes.Equal(want, got) {
				t.Errorf("handler.JSONHandler wrote\n%s\nslog.JSONHandler wrote\n%s", got, want)
			}
			if len(sh.Attrs) > 0 && !bytes.Contains(want, []byte(`"`+keyOf(sh.Attrs[0])+`"`)) {
				t.Errorf("the line lacks the shape's first attribute: %s", want)
			}
		})
	}
}

// keyOf returns a's key.
func keyOf(a slog.Attr) string { return a.Key }

// TestShapesPeersWriteTheSameKeys checks that phuslu's and zap's slog
// handlers write one valid JSON object per record with the attribute keys
// slog.JSONHandler writes (groups as nested objects), leaving out the
// built-in keys each library names its own way.
func TestShapesPeersWriteTheSameKeys(t *testing.T) {
	targets := ShapeTargets()
	ref := shapeTarget(t, targets, "slog-json")
	builtin := map[string]bool{
		"time": true, "level": true, "msg": true, "source": true,
		"ts": true, "caller": true, "message": true,
	}
	for _, peer := range []string{"phuslu-slog", "zapslog"} {
		p := shapeTarget(t, targets, peer)
		for _, sh := range Shapes() {
			t.Run(peer+"/"+sh.Name, func(t *testing.T) {
				want := keyPaths(t, shapeLine(t, sh, ref), builtin)
				got := keyPaths(t, shapeLine(t, sh, p), builtin)
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("keys (-slog-json +%s):\n%s", peer, d)
				}
				var m map[string]any
				line := shapeLine(t, sh, p)
				if err := json.Unmarshal(line, &m); err != nil {
					t.Fatal(err)
				}
				_, source := m["source"]
				_, caller := m["caller"]
				if (source || caller) != sh.AddSource {
					t.Errorf("AddSource %v, but source %v, caller %v in %s", sh.AddSource, source, caller, line)
				}
			})
		}
	}
}

// shapeTarget returns the shape target named name.
func shapeTarget(t *testing.T, ts []ShapeTarget, name string) ShapeTarget {
	t.Helper()
	for _, st := range ts {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no shape target %q", name)
	return ShapeTarget{}
}

// keyPaths decodes one JSON object line and returns the dotted paths of
// its keys, sorted, leaving out the top-level keys in skip.
func keyPaths(t *testing.T, line []byte, skip map[string]bool) []string {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(line, []byte("\n")), []byte("\n"))
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1:\n%s", len(lines), line)
	}
	var m map[string]any
	if err := json.Unmarshal(lines[0], &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	var paths []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if prefix == "" && skip[k] {
				continue
			}
			p := prefix + k
			if sub, ok := v.(map[string]any); ok {
				walk(p+".", sub)
				continue
			}
			paths = append(paths, p)
		}
	}
	walk("", m)
	slices.Sort(paths)
	return paths
}
