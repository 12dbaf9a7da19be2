package snapshot

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// emptyValuer resolves to an empty group: slog elides it, but a record or
// a WithAttrs call holding it still opens the handler's groups.
type emptyValuer struct{}

func (emptyValuer) LogValue() slog.Value { return slog.GroupValue() }

// renderIn is what slog.JSONHandler, with a group open and attrs added,
// writes for r.
func renderIn(t *testing.T, with []slog.Attr, r slog.Record) string {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, nil).WithGroup("g").WithAttrs(with)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestEmptyGroupValuerKept checks that a snapshot of a LogValuer resolving
// to an empty group renders as the original does, through Record, Kept
// and Attrs, alone, among others and inside a group: the handler's open
// group is written (empty) exactly when it is for the original.
func TestEmptyGroupValuerKept(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs []slog.Attr
	}{
		{"alone", []slog.Attr{slog.Any("e", emptyValuer{})}},
		{"two", []slog.Attr{slog.Any("e", emptyValuer{}), slog.Any("f", emptyValuer{})}},
		{"with-others", []slog.Attr{slog.Int("a", 1), slog.Any("e", emptyValuer{}), slog.String("b", "x")}},
		{"in-group", []slog.Attr{slog.Group("grp", slog.Any("e", emptyValuer{}))}},
		{"past-inline", []slog.Attr{slog.Int("a", 1), slog.Int("b", 2), slog.Int("c", 3), slog.Int("d", 4), slog.Int("e", 5), slog.Any("f", emptyValuer{})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
			r.AddAttrs(tc.attrs...)
			want := renderIn(t, nil, r)
			rec, _ := Record(r)
			if got := renderIn(t, nil, rec); got != want {
				t.Errorf("Record renders\n%s, want\n%s", got, want)
			}
			var k Kept
			k.Take(r)
			if got := renderIn(t, nil, k.Record()); got != want {
				t.Errorf("Kept renders\n%s, want\n%s", got, want)
			}
			empty := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
			wantWith := renderIn(t, tc.attrs, empty)
			as, _ := Attrs(tc.attrs)
			if got := renderIn(t, as, empty); got != wantWith {
				t.Errorf("Attrs render\n%s, want\n%s", got, wantWith)
			}
		})
	}
}
