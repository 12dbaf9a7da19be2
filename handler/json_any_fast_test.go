package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Types that appendJSONFast writes itself, and types close to them that it
// must leave to encoding/json. Some tags are odd on purpose: encoding/json
// accepts them, and so must the fast path.
//
//lint:file-ignore SA5008 the odd struct tags are test cases
type (
	fastUser struct {
		Name   string    `json:"name"`
		Email  string    `json:"email,omitempty"`
		Age    int       `json:"age,omitempty"`
		Score  float64   `json:"score"`
		Admin  bool      `json:"admin,omitempty"`
		Since  time.Time `json:"since,omitempty"`
		ID     uint64
		Small  int8     `json:"s"`
		Ptr    uintptr  `json:"p,omitempty"`
		Hidden string   `json:"-"`
		Dash   string   `json:"-,"`
		Odd    string   `json:"odd name!"`
		Bad    string   `json:"bad\\tag"`
		Role   fastRole `json:"role"`
		secret string
	}
	fastRole     string
	fastTimeOnly struct{ At time.Time }
	fastEmpty    struct{}
	fastOneStr   struct{ S string } // pointer-shaped? no: a string is two words
	fastOnePtr   struct{ P uintptr }
	// Every omitempty field kind, read in place (-0.0 counts as empty).
	fastOmitKinds struct {
		F   float64 `json:"f,omitempty"`
		I16 int16   `json:"i16,omitempty"`
		U32 uint32  `json:"u32,omitempty"`
		B   bool    `json:"b,omitempty"`
		S   string  `json:"s,omitempty"`
	}
	// Left to encoding/json:
	fastEmbedded struct {
		fastRole
		N int
	}
	fastStringOpt struct {
		N int `json:"n,string"`
	}
	fastOmitZero struct {
		N int `json:"n,omitzero"`
	}
	fastSpaceTag struct {
		A int `json:"x"`
		B int `json:"x "`
	}
	fastDupTagged struct {
		A int `json:"B"`
		B int
	}
	fastFloat32    struct{ F float32 }
	fastMarshField struct{ M marshalerError }
	fastTextField  struct{ T textValue }
	fastPtrText    struct{ T *textValue }
	fastSliceField struct{ S []string }
	fastPtrMarsh   struct{ N int }
	fastErrStruct  struct{ Msg string }
)

func (p *fastPtrMarsh) MarshalJSON() ([]byte, error) { return []byte(`"ptr"`), nil }
func (e fastErrStruct) Error() string                { return "err:" + e.Msg }

// fastValues are values appendJSONFast should or should not handle, each
// compared with encoding/json.
func fastValues() []any {
	t := time.Date(2026, 11, 28, 1, 2, 3, 456789000, time.FixedZone("X", 3600))
	u := fastUser{Name: "Jane \"J\" Doe\b\f\n\u2028<&>", Email: "", Age: 42, Score: 1e21, Since: t,
		ID: math.MaxUint64, Small: -8, Hidden: "h", Dash: "d", Odd: "o", Bad: "b", Role: "admin", secret: "s"}
	return []any{
		u, &u, (*fastUser)(nil), fastUser{}, fastUser{Score: math.NaN()}, fastUser{Score: math.Copysign(0, -1)},
		fastUser{Since: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, &fastUser{Since: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		fastTimeOnly{t}, &fastTimeOnly{}, fastTimeOnly{t.In(time.FixedZone("far", 24*3600))},
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", -24*3600)), t.In(time.FixedZone("near", 24*3600-1)), fastEmpty{}, &fastEmpty{}, fastOneStr{"x"}, fastOnePtr{7}, &fastOnePtr{8},
		fastEmbedded{"r", 1}, fastStringOpt{1}, fastOmitZero{0}, fastSpaceTag{1, 2}, fastDupTagged{1, 2}, fastFloat32{0.1},
		fastMarshField{marshalerError{"m"}}, fastTextField{textValue{"t"}}, fastPtrText{}, fastSliceField{[]string{"a"}},
		fastPtrMarsh{1}, &fastPtrMarsh{2}, fastErrStruct{"e"}, plainStruct{A: 1},
		fastOmitKinds{F: math.Copysign(0, -1)}, &fastOmitKinds{F: -1.5, I16: -3, U32: 7, B: true, S: "s"},
		[]byte(nil), []byte{}, []byte("hello, world\x00\xff"), json.RawMessage(`{"a":1}`),
		t, time.Time{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), &t, time.Duration(-5),
		[]string(nil), []string{}, []string{"a", "b\bc\fd", "\xff", "\u2029"}, []int(nil), []int{}, []int{-1, 0, math.MaxInt},
		map[string]string(nil), map[string]string{}, map[string]string{"b": "2", "a": "1\f", "\xff": "bad key", "": "empty"},
		map[string]int{"z": 26, "a": 1, "m": -13}, map[string]any{"n": nil, "s": "x\b", "t": true, "i": 1, "i64": int64(-2), "f": 1e-7},
		map[string]any{"nan": math.NaN()}, map[string]any{"nested": map[string]any{}}, map[string]any{"u8": uint8(1)},
		bigMap(maxFastMapLen), bigMap(maxFastMapLen + 1),
		fastRole("r"), 1.5, int8(3), "plain string", true, complex(1, 2), [2]int{1, 2},
	}
}

// bigMap returns a map[string]int of n entries.
func bigMap(n int) map[string]int {
	m := make(map[string]int, n)
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = i
	}
	return m
}

// marshalWithEncoder is what appendJSONMarshal writes for v.
func marshalWithEncoder(v any) string {
	return string(appendJSONMarshal(nil, v))
}

// TestAppendJSONFastMatchesEncodingJSON requires every value appendJSONFast
// accepts to come out exactly as encoding/json writes it, and lists which
// it accepts so that a fast path that silently stops applying is noticed.
func TestAppendJSONFastMatchesEncodingJSON(t *testing.T) {
	var handled []string
	for i, v := range fastValues() {
		got, ok := appendJSONFast([]byte("prefix"), v)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("value %d (%T): appendJSONFast changed what was before it: %q", i, v, got)
		}
		if !ok {
			if len(got) != len("prefix") {
				t.Errorf("value %d (%T): declined but appended %q", i, v, got)
			}
			continue
		}
		handled = append(handled, fmt.Sprintf("%T", v))
		if diff := cmp.Diff(marshalWithEncoder(v), string(got[len("prefix"):])); diff != "" {
			t.Errorf("value %d (%T %+v): differs from encoding/json (-json +fast):\n%s", i, v, v, diff)
		}
	}
	want := []string{
		"handler.fastUser", "*handler.fastUser", "*handler.fastUser", "handler.fastUser", "handler.fastUser",
		"handler.fastTimeOnly", "*handler.fastTimeOnly", "time.Time", "handler.fastEmpty", "*handler.fastEmpty",
		"handler.fastOneStr", "handler.fastOnePtr", "*handler.fastOnePtr", "handler.fastSpaceTag", "handler.fastErrStruct",
		"handler.fastOmitKinds", "*handler.fastOmitKinds",
		"[]uint8", "[]uint8", "[]uint8", "time.Time", "time.Time", "time.Duration",
		"[]string", "[]string", "[]string", "[]int", "[]int", "[]int",
		"map[string]string", "map[string]string", "map[string]string", "map[string]int", "map[string]interface {}",
		"map[string]int",
	}
	if diff := cmp.Diff(want, handled); diff != "" {
		t.Errorf("values handled by the fast path (-want +got):\n%s", diff)
	}
}

// FuzzAppendJSONFastMatchesEncodingJSON builds values of the fast path's
// types from fuzz input and compares appendJSONFast with encoding/json.
func FuzzAppendJSONFastMatchesEncodingJSON(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	f.Add([]byte("\x08\x0c\xff\xe2\x80\xa8abc\"\\</>&"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data}
		s := func() string { return g.string() }
		tm := g.time()
		vals := []any{
			fastUser{Name: s(), Email: s(), Age: int(g.uint64()), Score: g.float(), Admin: g.byte()&1 == 1,
				Since: tm, ID: g.uint64(), Small: int8(g.byte()), Ptr: uintptr(g.byte()), Odd: s(), Role: fastRole(s())},
			&fastTimeOnly{tm}, []byte(s()), tm, []string{s(), s()}, []int{int(g.uint64())},
			map[string]string{s(): s(), s(): s()}, map[string]int{s(): int(g.uint64()), s(): 1},
			map[string]any{s(): s(), s(): g.float(), s(): nil, s(): int64(g.uint64())},
		}
		for _, v := range vals {
			got, ok := appendJSONFast(nil, v)
			if !ok {
				continue
			}
			if want := marshalWithEncoder(v); want != string(got) {
				t.Fatalf("%T: differs from encoding/json (-json +fast):\n%s", v, cmp.Diff(want, string(got)))
			}
		}
	})
}

// TestJSONHandlerAnyFastNoAllocs asserts that values of kind Any on the
// fast path allocate nothing in Handle.
func TestJSONHandlerAnyFastNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	now := time.Now()
	u := fastUser{Name: "n", Since: now}
	r := slog.NewRecord(now, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Any("u", u), slog.Any("pu", &u), slog.Any("b", []byte("bytes")),
		slog.Any("m", map[string]int{"a": 1, "b": 2}), slog.Any("ma", map[string]any{"a": "x", "b": 1.5}))
	h := NewJSONHandler(io.Discard, nil)
	ctx := t.Context()
	if n := testing.AllocsPerRun(1000, func() { _ = h.Handle(ctx, r) }); n != 0 {
		t.Errorf("%v allocs per record, want 0", n)
	}
}

// TestJSONHandlerAnyFastMatchesSlog compares whole records carrying the
// fast path's values with slog.JSONHandler.
func TestJSONHandlerAnyFastMatchesSlog(t *testing.T) {
	for i, v := range fastValues() {
		want, got := compareHandlers(nil, func(h slog.Handler) {
			r := slog.NewRecord(baseTime, slog.LevelInfo, "m", 0)
			r.AddAttrs(slog.Any("v", v), slog.Group("g", slog.Any("v", v)))
			_ = h.Handle(t.Context(), r)
		})
		if want != got {
			t.Errorf("value %d (%T): differs from slog (-slog +handler):\n%s", i, v, cmp.Diff(want, got))
		}
	}
}
