package snapshot

import (
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// FuzzRecordWith checks that RecordWith(r, extra) is the snapshot Record
// takes of r cloned with extra added: the same output, the same heap bytes
// counted, as the values were at the call, for records of 0 to 12 random
// attributes and 0 to 3 extra ones (empty groups, which AddAttrs leaves
// out, among them), and that r itself is left as it was.
func FuzzRecordWith(f *testing.F) {
	f.Add([]byte{6, 2, 3, 1, 2, 3, 5, 0, 4, 0})
	f.Add([]byte{12, 3, 2, 2, 1, 0, 5, 0, 5, 1, 7, 8, 9})
	f.Add([]byte{4, 1, 1, 1, 1, 3, 0, 1, 2})
	f.Add([]byte{0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		g := &valueGen{in: in}
		n := int(g.next() % 13)
		r := slog.NewRecord(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), slog.LevelInfo, "msg", 7)
		for i := range n {
			r.AddAttrs(randomAttr(g, fmt.Sprint("k", i)))
		}
		var extra []slog.Attr
		for i := range int(g.next() % 4) {
			if g.next()%4 == 0 {
				extra = append(extra, slog.Group(fmt.Sprint("empty", i)))
				continue
			}
			extra = append(extra, randomAttr(g, fmt.Sprint("x", i)))
		}
		before := renderRecord(t, r)
		rebuilt := r.Clone()
		rebuilt.AddAttrs(extra...)
		want, wantSize := Record(rebuilt)
		wantJSON := renderRecord(t, want)
		got, size := RecordWith(r, extra)
		if after := renderRecord(t, r); after != before {
			t.Errorf("RecordWith changed r:\n%s\nwas\n%s", after, before)
		}
		for _, m := range g.mutate {
			m()
		}
		if size != wantSize {
			t.Errorf("RecordWith counts %d bytes, Record of the rebuilt record %d", size, wantSize)
		}
		if gotJSON := renderRecord(t, got); gotJSON != wantJSON {
			t.Errorf("RecordWith renders\n%s\nRecord of the rebuilt record\n%s", gotJSON, wantJSON)
		}
	})
}

// randomAttr returns an attribute of a random kind under key.
func randomAttr(g *valueGen, key string) slog.Attr {
	switch g.next() % 6 {
	case 0:
		return slog.String(key, string([]byte{'v', g.next()}))
	case 1:
		return slog.Int(key, int(g.next()))
	case 2:
		return slog.Group(key, slog.Bool("b", g.next()%2 == 0), slog.String("s", "x"))
	case 3:
		return slog.Any(key, groupValuer(g.next()))
	case 4:
		return slog.Duration(key, time.Duration(g.next()))
	default:
		return slog.Any(key, g.value(0))
	}
}
