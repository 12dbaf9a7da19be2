package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// render is what handler writes for the attribute k=v, without the time.
func render(t testing.TB, v slog.Value, text bool) string {
	t.Helper()
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	var h slog.Handler = slog.NewJSONHandler(&buf, opts)
	if text {
		h = slog.NewTextHandler(&buf, opts)
	}
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Attr{Key: "k", Value: v})
	if err := h.Handle(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

type plainNode struct {
	Name     string
	Parent   *plainNode `json:"-"`
	Children []*plainNode
	Tags     map[string]any
}

type hiddenNode struct {
	Name     string
	parent   *hiddenNode
	Children []*hiddenNode
}

type locked struct {
	mu    sync.Mutex
	Count int
	Items []string
}

type withMutex struct {
	Mu   sync.Mutex
	Name string
}

type textValue struct{ s *string }

func (v textValue) MarshalText() ([]byte, error) { return []byte("text:" + *v.s), nil }

type named []byte

func tree(n int) *plainNode {
	root := &plainNode{Name: "root", Tags: map[string]any{"k": []int{1, 2}}}
	for i := range n {
		c := &plainNode{Name: "c", Parent: root, Tags: map[string]any{"i": i}}
		root.Children = append(root.Children, c)
	}
	return root
}

func hiddenTree(n int) *hiddenNode {
	root := &hiddenNode{Name: "root"}
	for range n {
		root.Children = append(root.Children, &hiddenNode{Name: "c", parent: root})
	}
	return root
}

// TestValueAsAtCall checks that a snapshot renders, in the JSON and the
// text handler, exactly as the value did at the call, after the caller has
// changed everything it could.
func TestValueAsAtCall(t *testing.T) {
	str := "before"
	tests := []struct {
		name   string
		value  func() (any, func())
		frozen bool
	}{
		{"map", func() (any, func()) {
			m := map[string]any{"a": 1, "b": []string{"x"}}
			return m, func() { m["a"] = 2; m["c"] = 3; m["b"].([]string)[0] = "y" }
		}, false},
		{"slice of pointers", func() (any, func()) {
			a := &plainNode{Name: "a"}
			s := []*plainNode{a, a}
			return s, func() { a.Name = "changed"; s[1] = nil }
		}, false},
		{"bytes", func() (any, func()) {
			b := []byte("secret")
			return b, func() { copy(b, "XXXXXX") }
		}, false},
		{"raw message", func() (any, func()) {
			b := json.RawMessage(`{"a":1}`)
			return b, func() { copy(b, `{"b":2}`) }
		}, false},
		{"named bytes", func() (any, func()) {
			b := named("abc")
			return b, func() { b[0] = 'z' }
		}, false},
		{"tree with parent pointers", func() (any, func()) {
			root := tree(150)
			return root, func() { root.Children[3].Name = "changed"; root.Tags["k"] = nil }
		}, false},
		{"unexported parent", func() (any, func()) {
			root := hiddenTree(150)
			return root, func() { root.Children[3].Name = "changed" }
		}, true},
		{"locked mutex", func() (any, func()) {
			l := &locked{Count: 1, Items: []string{"a"}}
			l.mu.Lock()
			return l, func() { l.Count = 2; l.Items[0] = "b" }
		}, true},
		{"exported mutex", func() (any, func()) {
			w := &withMutex{Name: "a"}
			w.Mu.Lock()
			return w, func() { w.Name = "b" }
		}, true},
		{"text marshaler", func() (any, func()) {
			return textValue{&str}, func() { str = "after" }
		}, true},
		{"cycle", func() (any, func()) {
			m := map[string]any{"a": 1}
			m["self"] = m
			return m, func() { m["a"] = 2 }
		}, false},
		{"array", func() (any, func()) {
			a := &[2][]int{{1}, {2}}
			return a, func() { a[0][0] = 9 }
		}, false},
		{"interface slice", func() (any, func()) {
			s := []any{map[string]int{"a": 1}, errors.New("e"), time.Unix(1, 0).UTC()}
			return s, func() { s[0].(map[string]int)["a"] = 2 }
		}, true}, // an error inside a value is written as its encoders see it
		{"channel inside", func() (any, func()) {
			s := struct{ C chan int }{make(chan int)}
			return s, func() {}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, mutate := tt.value()
			wantJSON := render(t, slog.AnyValue(x), false)
			wantText := ""
			if tt.name != "cycle" { // fmt's %+v does not end on a cyclic map
				wantText = render(t, slog.AnyValue(x), true)
			}
			got, size := Value(slog.AnyValue(x))
			mutate()
			if _, isFrozen := got.Any().(Frozen); isFrozen != tt.frozen {
				t.Errorf("frozen = %v, want %v (%T)", isFrozen, tt.frozen, got.Any())
			}
			if size <= 0 {
				t.Errorf("size = %d, want > 0", size)
			}
			if diff := cmp.Diff(wantJSON, render(t, got, false)); diff != "" {
				t.Errorf("JSON (-at call +snapshot):\n%s", diff)
			}
			if wantText != "" && tt.frozen {
				if diff := cmp.Diff(wantText, render(t, got, true)); diff != "" {
					t.Errorf("text (-at call +snapshot):\n%s", diff)
				}
			}
		})
	}
}
