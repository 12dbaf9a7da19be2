package snapshot

import (
	"fmt"
	"log/slog"
	"testing"
	"time"
	"unsafe"
)

// TestTakeFlatMatchesTake checks, for flat records of 0 to 12 attributes
// of every flat kind (empty keys and strings included), that Flat measures
// exactly the text TakeFlat copies and the attributes past the inline
// ones, that the snapshot renders as Take's does, and that its strings all
// lie in the block given (none is the caller's); and that Flat refuses
// records holding a value of kind Any, a group or a LogValuer.
func TestTakeFlatMatchesTake(t *testing.T) {
	kinds := []func(i int) slog.Attr{
		func(i int) slog.Attr { return slog.String(fmt.Sprint("s", i), fmt.Sprint("v", i*i)) },
		func(i int) slog.Attr { return slog.String("", "") },
		func(i int) slog.Attr { return slog.Int(fmt.Sprint("n", i), -i) },
		func(i int) slog.Attr { return slog.Uint64("u", uint64(i)) },
		func(i int) slog.Attr { return slog.Float64("f", float64(i)/3) },
		func(i int) slog.Attr { return slog.Bool("b", i%2 == 0) },
		func(i int) slog.Attr { return slog.Duration("d", time.Duration(i)) },
		func(i int) slog.Attr { return slog.Time("t", time.Unix(int64(i), 0).UTC()) },
	}
	for n := range 13 {
		for shift := range kinds {
			r := slog.NewRecord(time.Unix(1, 0), slog.LevelInfo, fmt.Sprint("msg", n), 3)
			for i := range n {
				r.AddAttrs(kinds[(i+shift)%len(kinds)](i))
			}
			text, back, ok := Flat(&r)
			if !ok || back != max(n-inlineAttrs, 0) {
				t.Fatalf("%d attrs: Flat = %d, %d, %v", n, text, back, ok)
			}
			block := make([]byte, text)
			var k, want Kept
			want.Take(r)
			k.TakeFlat(&r, block, make([]slog.Attr, back))
			if got, w := renderRecord(t, k.Record()), renderRecord(t, want.Record()); got != w {
				t.Fatalf("%d attrs: TakeFlat wrote\n%s, Take\n%s", n, got, w)
			}
			used := 0
			inBlock := func(s string) {
				if s == "" {
					return
				}
				p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
				lo := uintptr(unsafe.Pointer(unsafe.SliceData(block)))
				if p < lo || p+uintptr(len(s)) > lo+uintptr(len(block)) {
					t.Fatalf("%d attrs: %q not in the block", n, s)
				}
				used += len(s)
			}
			inBlock(k.Message)
			kr := k.Record()
			kr.Attrs(func(a slog.Attr) bool {
				inBlock(a.Key)
				if a.Value.Kind() == slog.KindString {
					inBlock(a.Value.String())
				}
				return true
			})
			if used != text {
				t.Fatalf("%d attrs: Flat measured %d bytes, %d copied", n, text, used)
			}
		}
	}
	for _, a := range []slog.Attr{slog.Any("a", []int{1}), slog.Group("g", "k", 1), slog.Any("lv", groupValuer('x')), slog.Any("e", fmt.Errorf("x"))} {
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.String("s", "v"), a)
		if _, _, ok := Flat(&r); ok {
			t.Errorf("Flat accepted a record holding %v", a.Value.Kind())
		}
	}
}
