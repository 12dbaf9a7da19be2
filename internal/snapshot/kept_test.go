package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// renderRecord is what slog.JSONHandler writes for r.
func renderRecord(t testing.TB, r slog.Record) string {
	var buf bytes.Buffer
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// groupValuer resolves to a group that holds its text.
type groupValuer byte

func (v groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("text", string([]byte{'g', byte(v)})))
}

// FuzzKept checks that a Kept holds the same snapshot as Record, for
// records of 0 to 12 random attributes (strings, scalars, groups,
// LogValuers and random nested values that are mutated after the call):
// the same output, the same heap bytes counted, and both as the record
// was at the call.
func FuzzKept(f *testing.F) {
	f.Add([]byte{6, 2, 3, 1, 2, 3, 5, 0, 4, 0})
	f.Add([]byte{12, 3, 2, 2, 1, 0, 5, 0, 5, 1, 7, 8, 9})
	f.Add([]byte{0})
	f.Add([]byte{5, 1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		g := &valueGen{in: in}
		n := int(g.next() % 13)
		r := slog.NewRecord(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), slog.Level(int(g.next()%16)-4), "msg "+fmt.Sprint(n), 7)
		for i := range n {
			key := fmt.Sprint("k", i)
			switch g.next() % 6 {
			case 0:
				r.AddAttrs(slog.String(key, string([]byte{'v', g.next()})))
			case 1:
				r.AddAttrs(slog.Int(key, int(g.next())))
			case 2:
				r.AddAttrs(slog.Group(key, slog.Bool("b", g.next()%2 == 0), slog.String("s", "x")))
			case 3:
				r.AddAttrs(slog.Any(key, groupValuer(g.next())), slog.Any(key+"s", selfValuer{}))
			case 4:
				r.AddAttrs(slog.Duration(key, time.Duration(g.next())))
			default:
				r.AddAttrs(slog.Any(key, g.value(0)))
			}
		}
		want, wantSize := Record(r)
		wantJSON := renderRecord(t, want)
		var k Kept
		size := k.Take(r)
		for _, m := range g.mutate {
			m()
		}
		if size != wantSize {
			t.Fatalf("Kept.Take counts %d bytes, Record %d", size, wantSize)
		}
		if got := renderRecord(t, k.Record()); got != wantJSON {
			t.Fatalf("Kept renders\n%s\nRecord\n%s", got, wantJSON)
		}
	})
}

// TestKeptAllocations checks that taking a Kept of a record of strings and
// scalars allocates its text block and, past the attributes a record
// holds inline, one slice for the rest: nothing else.
func TestKeptAllocations(t *testing.T) {
	for _, tc := range []struct {
		attrs int
		want  float64
	}{{0, 1}, {5, 1}, {6, 2}, {12, 2}} {
		t.Run(fmt.Sprint(tc.attrs, " attrs"), func(t *testing.T) {
			r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
			for i := range tc.attrs {
				r.AddAttrs(slog.String(fmt.Sprint("k", i), "v"))
			}
			var k Kept
			if allocs := testing.AllocsPerRun(100, func() { k.Take(r) }); allocs != tc.want {
				t.Fatalf("%v allocations, want %v", allocs, tc.want)
			}
		})
	}
}
