package snapshot

import (
	"log/slog"
	"testing"
)

// valueGen builds a random value of nested maps, slices, pointers, structs,
// strings and bytes from fuzz input, remembering every container so that
// the test can mutate them all after the snapshot.
type valueGen struct {
	in     []byte
	mutate []func()
	shared []any
}

func (g *valueGen) next() byte {
	if len(g.in) == 0 {
		return 0
	}
	b := g.in[0]
	g.in = g.in[1:]
	return b
}

type fuzzStruct struct {
	S      string
	P      *fuzzStruct
	L      []any
	hidden int
}

func (g *valueGen) value(depth int) any {
	if depth > 6 {
		return int(g.next())
	}
	switch g.next() % 9 {
	case 0:
		return string([]byte{'a' + g.next()%26, '"', '<', g.next()})
	case 1:
		b := []byte{g.next(), g.next()}
		g.mutate = append(g.mutate, func() { b[0]++ })
		return b
	case 2:
		m := map[string]any{}
		for i := range int(g.next() % 4) {
			m[string(rune('a'+i))] = g.value(depth + 1)
		}
		g.mutate = append(g.mutate, func() { m["z"] = 1; delete(m, "a") })
		g.shared = append(g.shared, m)
		return m
	case 3:
		s := make([]any, g.next()%4)
		for i := range s {
			s[i] = g.value(depth + 1)
		}
		if len(s) > 0 {
			g.mutate = append(g.mutate, func() { s[0] = "mutated" })
		}
		g.shared = append(g.shared, s)
		return s
	case 4:
		st := &fuzzStruct{S: "s", hidden: int(g.next())}
		g.mutate = append(g.mutate, func() { st.S = "mutated"; st.hidden++ })
		if g.next()%2 == 0 {
			st.L = []any{g.value(depth + 1)}
		}
		return st
	case 5: // a container seen before: sharing (and sometimes a cycle)
		if len(g.shared) == 0 {
			return nil
		}
		return g.shared[int(g.next())%len(g.shared)]
	case 6:
		return float64(g.next()) / 3
	case 7:
		return []int{int(g.next())}
	default:
		return nil
	}
}

// FuzzValue checks that a snapshot of any value renders as the value did
// at the call, after every container in it has been changed.
func FuzzValue(f *testing.F) {
	f.Add([]byte{2, 3, 1, 2, 3, 5, 0, 4, 0})
	f.Add([]byte{3, 2, 2, 1, 0, 5, 0, 5, 1})
	f.Add([]byte{4, 1, 2, 2, 5, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		g := &valueGen{in: in}
		x := g.value(0)
		want := render(t, slog.AnyValue(x), false)
		got, size := Value(slog.AnyValue(x))
		for _, m := range g.mutate {
			m()
		}
		if size < 0 {
			t.Fatalf("size %d", size)
		}
		if s := render(t, got, false); s != want {
			t.Fatalf("snapshot renders\n%s\nwant\n%s", s, want)
		}
	})
}
