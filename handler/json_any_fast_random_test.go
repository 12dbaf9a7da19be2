package handler

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// Types the random struct types are made of, beyond the built-in ones.
type (
	// RandInner is embedded, by value or by pointer, in random structs.
	RandInner struct {
		A int    `json:"a"`
		N string `json:"n,omitempty"`
	}
	// RandName is a named string.
	RandName string
	// RandPtrText has MarshalText on its pointer only.
	RandPtrText int
)

func (p *RandPtrText) MarshalText() ([]byte, error) { return []byte(fmt.Sprint("pt", int(*p))), nil }

// randFieldTypes are the field types random structs draw from: those the
// fast path handles and those next to them that it must leave alone.
var randFieldTypes = []reflect.Type{
	reflect.TypeFor[bool](), reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int16](),
	reflect.TypeFor[int32](), reflect.TypeFor[int64](), reflect.TypeFor[uint](), reflect.TypeFor[uint8](),
	reflect.TypeFor[uint16](), reflect.TypeFor[uint32](), reflect.TypeFor[uint64](), reflect.TypeFor[uintptr](),
	reflect.TypeFor[float32](), reflect.TypeFor[float64](), reflect.TypeFor[string](), reflect.TypeFor[RandName](),
	reflect.TypeFor[time.Time](), reflect.TypeFor[[]byte](), reflect.TypeFor[[]string](), reflect.TypeFor[*int](),
	reflect.TypeFor[any](), reflect.TypeFor[map[string]int](), reflect.TypeFor[textValue](),
	reflect.TypeFor[marshalerError](), reflect.TypeFor[RandPtrText](), reflect.TypeFor[RandInner](),
	reflect.TypeFor[*RandInner](),
}

// randTags are the struct tags random fields carry: renames (often to the
// same name, so that names collide), options encoding/json knows and one
// it ignores, "-", and names it rejects.
var randTags = []reflect.StructTag{
	"", "", `json:"n"`, `json:"n,omitempty"`, `json:",omitempty"`, `json:"-"`, `json:"-,"`,
	`json:",string"`, `json:"n,string"`, `json:",omitzero"`, `json:"n,foo"`, `json:"<&>"`,
	`json:"bad\\tag"`, `json:"é漢"`, `json:"F1"`, `json:"a"`, `json:"odd name!"`,
}

// randStructType returns a struct type built from g: up to 6 fields, some
// embedded.
func randStructType(g *gen) reflect.Type {
	var fields []reflect.StructField
	embedded := false
	for i := range g.intn(7) {
		typ := randFieldTypes[g.intn(len(randFieldTypes))]
		f := reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: typ, Tag: randTags[g.intn(len(randTags))]}
		if !embedded && (typ == reflect.TypeFor[RandInner]() || typ == reflect.TypeFor[*RandInner]()) && g.intn(2) == 0 {
			f.Name, f.Anonymous, embedded = "RandInner", true, true
		}
		fields = append(fields, f)
	}
	return reflect.StructOf(fields)
}

// randFill sets every field of the struct v (addressable) from g.
func randFill(g *gen, v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(g.intn(2) == 1)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if g.intn(3) > 0 {
				f.SetInt(int64(g.uint64()))
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			if g.intn(3) > 0 {
				f.SetUint(g.uint64())
			}
		case reflect.Float32, reflect.Float64:
			f.SetFloat(g.float())
		case reflect.String:
			f.SetString(g.string())
		case reflect.Struct:
			switch f.Type() {
			case timeType:
				f.Set(reflect.ValueOf(g.time()))
			case reflect.TypeFor[RandInner]():
				f.Set(reflect.ValueOf(RandInner{A: int(g.byte()), N: g.string()}))
			}
		case reflect.Pointer:
			if g.intn(2) == 0 {
				f.Set(reflect.New(f.Type().Elem()))
			}
		case reflect.Slice:
			if g.intn(2) == 0 {
				f.Set(reflect.MakeSlice(f.Type(), g.intn(3), 3))
			}
		case reflect.Interface:
			choices := []any{nil, g.string(), g.float(), g.time()}
			f.Set(reflect.ValueOf(&choices[g.intn(len(choices))]).Elem())
		case reflect.Map:
			if g.intn(2) == 0 {
				f.Set(reflect.ValueOf(map[string]int{g.string(): 1}))
			}
		}
	}
}

// randMap returns a map[string]any of 0 to 20 entries of scalar values of
// several types.
func randMap(g *gen) map[string]any {
	n := g.intn(21)
	m := make(map[string]any, n)
	for i := range n {
		var v any
		switch g.intn(8) {
		case 0:
			v = nil
		case 1:
			v = g.string()
		case 2:
			v = g.intn(2) == 1
		case 3:
			v = int(g.uint64())
		case 4:
			v = int64(g.uint64())
		case 5:
			v = g.float()
		case 6:
			v = float32(g.float())
		default:
			v = uint8(g.byte())
		}
		m[fmt.Sprint(g.string(), i)] = v
	}
	return m
}

// randFastValues returns values built from g: a random struct, a pointer
// to it and a nil pointer of its type, and a random map.
func randFastValues(g *gen) []any {
	typ := randStructType(g)
	p := reflect.New(typ)
	randFill(g, p.Elem())
	return []any{p.Elem().Interface(), p.Interface(), reflect.Zero(p.Type()).Interface(), randMap(g)}
}

// checkFastMatchesEncodingJSON fails t if appendJSONFast writes v other
// than encoding/json does, or changes the buffer when it declines.
func checkFastMatchesEncodingJSON(t *testing.T, v any) {
	t.Helper()
	const prefix = "prefix"
	got, ok := appendJSONFast([]byte(prefix), v)
	if !ok {
		if string(got) != prefix {
			t.Fatalf("%T: declined but changed the buffer to %q", v, got)
		}
		return
	}
	if want := marshalWithEncoder(v); want != string(got[len(prefix):]) {
		t.Fatalf("%T %+v: differs from encoding/json (-json +fast):\n%s", v, v, cmp.Diff(want, string(got[len(prefix):])))
	}
}

// TestAppendJSONFastRandomStructsAndMaps compares appendJSONFast with
// encoding/json, and the whole handler with slog.JSONHandler, for random
// struct types (tags, embedding, marshalers, every field kind) and random
// maps of up to 20 entries.
func TestAppendJSONFastRandomStructsAndMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	data := make([]byte, 512)
	for range 400 {
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for _, v := range randFastValues(&gen{data: data}) {
			checkFastMatchesEncodingJSON(t, v)
			want, got := compareHandlers(nil, func(h slog.Handler) {
				r := slog.NewRecord(baseTime, slog.LevelInfo, "m", 0)
				r.AddAttrs(slog.Any("v", v))
				_ = h.Handle(t.Context(), r)
			})
			if want != got {
				t.Fatalf("%T: differs from slog (-slog +handler):\n%s", v, cmp.Diff(want, got))
			}
		}
	}
}

// FuzzAppendJSONFastRandomStructs is TestAppendJSONFastRandomStructsAndMaps
// driven by fuzz input.
func FuzzAppendJSONFastRandomStructs(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{6, 13, 3, 14, 3, 25, 1, 26, 0, 20, 16, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range randFastValues(&gen{data: data}) {
			checkFastMatchesEncodingJSON(t, v)
		}
	})
}

// TestAppendJSONFastPlansConcurrent writes values of far more struct types
// than the plan cache has slots from several goroutines at once, so that
// plans are computed, evicted and recomputed concurrently; every output
// must still be encoding/json's (and the race detector must stay quiet).
func TestAppendJSONFastPlansConcurrent(t *testing.T) {
	const types = 3 * structPlanSize
	values := make([]any, types)
	wants := make([]string, types)
	for i := range types {
		typ := reflect.StructOf([]reflect.StructField{
			{Name: "A", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(fmt.Sprintf(`json:"a%d,omitempty"`, i))},
			{Name: "T", Type: timeType},
			{Name: "S", Type: reflect.TypeFor[string](), Tag: reflect.StructTag(fmt.Sprintf(`json:"s%d"`, i))},
		})
		p := reflect.New(typ)
		p.Elem().Field(0).SetInt(int64(i % 3))
		p.Elem().Field(1).Set(reflect.ValueOf(baseTime.Add(time.Duration(i) * time.Second)))
		p.Elem().Field(2).SetString(fmt.Sprint("s\u2028", i))
		if i%2 == 0 {
			values[i] = p.Interface()
		} else {
			values[i] = p.Elem().Interface()
		}
		wants[i] = marshalWithEncoder(values[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := range 4 {
		wg.Go(func() {
			for n := range 2 * types {
				i := (n*(2*w+1) + w) % types
				got, ok := appendJSONFast(nil, values[i])
				if !ok || string(got) != wants[i] {
					errs <- fmt.Sprintf("type %d: got %q (ok %v), want %q", i, got, ok, wants[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// sameSetValues returns n values of distinct flat struct types whose type
// words hash to the same set of the plan cache.
func sameSetValues(n int) []any {
	bySet := map[uint64][]any{}
	for i := 0; ; i++ {
		typ := reflect.StructOf([]reflect.StructField{
			{Name: "A", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(fmt.Sprintf(`json:"set%d"`, i))},
			{Name: "B", Type: reflect.TypeFor[string]()},
		})
		v := reflect.New(typ).Elem().Interface()
		set := structPlanSet((*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0])
		if bySet[set] = append(bySet[set], v); len(bySet[set]) == n {
			return bySet[set]
		}
	}
}

// TestAppendJSONFastPlansShareASet logs values of as many types as a set
// of the plan cache holds, all hashing to that set, in turn: each keeps
// its plan, so after the first round nothing is allocated (a plan rebuilt
// on every call would allocate), and every output is encoding/json's.
func TestAppendJSONFastPlansShareASet(t *testing.T) {
	values := sameSetValues(structPlanWays)
	// Empty the set first: types that earlier tests logged may hold some
	// of its slots, and a full set evicts at random, so the values' plans
	// would settle in it only by chance.
	v0 := values[0]
	set := &structPlans[structPlanSet((*[2]unsafe.Pointer)(unsafe.Pointer(&v0))[0])]
	for i := range set {
		set[i].Store(nil)
	}
	buf := make([]byte, 0, 256)
	i := 0
	logOne := func() {
		v := values[i%len(values)]
		i++
		var ok bool
		if buf, ok = appendJSONFast(buf[:0], v); !ok || string(buf) != marshalWithEncoderNoAlloc(v) {
			t.Fatalf("%T: got %q (ok %v), want %q", v, buf, ok, marshalWithEncoderNoAlloc(v))
		}
	}
	for range 2 * len(values) {
		logOne()
	}
	if n := testing.AllocsPerRun(100, logOne); n != 0 {
		t.Errorf("%v allocs per value for %d types sharing a plan set, want 0", n, len(values))
	}
}

// wantSameSet caches encoding/json's output of the values of
// TestAppendJSONFastPlansShareASet, so that comparing allocates nothing.
var wantSameSet sync.Map

func marshalWithEncoderNoAlloc(v any) string {
	if s, ok := wantSameSet.Load(v); ok {
		return s.(string)
	}
	s := marshalWithEncoder(v)
	wantSameSet.Store(v, s)
	return s
}

// BenchmarkAppendJSONFastPlansShareASet measures values of two struct
// types whose plans share a set of the cache, logged in turn.
func BenchmarkAppendJSONFastPlansShareASet(b *testing.B) {
	values := sameSetValues(2)
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for i := range b.N {
		buf, _ = appendJSONFast(buf[:0], values[i&1])
	}
}

// cyclicNode points back to itself through Next.
type cyclicNode struct {
	Name string
	Next *cyclicNode
}

// lockedStruct holds a locked mutex, as a logged struct may.
type lockedStruct struct {
	Mu sync.Mutex
	N  int
}

// TestJSONHandlerHostileAnyValuesMatchSlog logs values next to the fast
// path's types that are hostile to an encoder (cycles through a map, a
// slice and a pointer, a locked mutex, maps of just over the fast path's
// size, named byte slices and slices of named types) and requires what
// slog.JSONHandler writes, without hanging.
func TestJSONHandlerHostileAnyValuesMatchSlog(t *testing.T) {
	cm := map[string]any{"a": 1}
	cm["self"] = cm
	cs := []any{1}
	cs[0] = cs
	cn := &cyclicNode{Name: "n"}
	cn.Next = cn
	ls := &lockedStruct{N: 1}
	ls.Mu.Lock()
	defer ls.Mu.Unlock()
	big := map[string]any{}
	bigS := map[string]string{}
	for i := range maxFastMapLen + 1 {
		big[fmt.Sprint("k", i)] = i
		bigS[fmt.Sprint("k", i)] = "v\u2028"
	}
	type namedBytes []byte
	values := []any{cm, cs, cn, ls, big, bigS, namedBytes("ab"), namedBytes(nil), []RandName{"a", "<"},
		map[int]string{2: "b", 1: "a"}, map[RandName]int{"z": 1, "a": 2}, map[textValue]int{{"x"}: 1}}
	for _, v := range values {
		checkFastMatchesEncodingJSON(t, v)
		want, got := compareHandlers(nil, func(h slog.Handler) {
			r := slog.NewRecord(baseTime, slog.LevelInfo, "m", 0)
			r.AddAttrs(slog.Any("v", v))
			_ = h.Handle(t.Context(), r)
		})
		if want != got {
			t.Errorf("%T: differs from slog (-slog +handler):\n%s", v, cmp.Diff(want, got))
		}
	}
}
