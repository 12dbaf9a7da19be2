package async

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	Tags []string
	M    map[string]int
}

type outer struct {
	Name  string
	In    *inner
	Arr   [2][]int
	Iface any
	when  time.Time
}

func TestSnapshotDeepCopies(t *testing.T) {
	src := outer{
		Name:  "a",
		In:    &inner{Tags: []string{"x"}, M: map[string]int{"k": 1}},
		Arr:   [2][]int{{1}, {2}},
		Iface: []byte("raw"),
		when:  time.Unix(5, 0),
	}
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Any("v", &src), slog.Any("m", map[string][]int{"a": {1}}))
	snap := snapshotRecord(r)

	src.In.Tags[0] = "changed"
	src.In.M["k"] = 2
	src.Arr[0][0] = 9
	src.Iface.([]byte)[0] = 'X'

	var got []any
	snap.Attrs(func(a slog.Attr) bool { got = append(got, a.Value.Any()); return true })
	wantOuter := outer{Name: "a", In: &inner{Tags: []string{"x"}, M: map[string]int{"k": 1}}, Arr: [2][]int{{1}, {2}}, Iface: []byte("raw"), when: time.Unix(5, 0)}
	if diff := cmp.Diff(&wantOuter, got[0], cmp.AllowUnexported(outer{})); diff != "" {
		t.Fatalf("snapshot changed with its source (-want +got):\n%s", diff)
	}
}

func TestSnapshotSharesImmutableRecords(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.String("s", "x"), slog.Int("i", 1), slog.Any("err", errTest{}), slog.Duration("d", time.Second),
		slog.Group("g", slog.Bool("b", true)))
	allocs := testing.AllocsPerRun(100, func() { _ = snapshotRecord(r) })
	if allocs != 0 {
		t.Fatalf("snapshot of an immutable record allocates %.0f times, want 0", allocs)
	}
}

type errTest struct{}

func (errTest) Error() string { return "e" }

func TestSnapshotCycleIsBounded(t *testing.T) {
	type node struct{ Next *node }
	n := &node{}
	n.Next = n
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Any("cycle", n))
	_ = snapshotRecord(r) // must return
}
