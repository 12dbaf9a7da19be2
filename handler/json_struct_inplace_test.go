package handler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Struct types whose fields the in-place writer reads at their offsets:
// every field kind beside unexported fields of other sizes (alignment),
// named types, the single-pointer and one-byte shapes an interface holds
// without a pointer of its own or in a shared static cell, and the shapes
// it must leave to encoding/json (embedded, arrays, pointers, interfaces).
type (
	inplaceInt8  int8
	inplaceStr   string
	inplaceFloat float64
	inplaceAlign struct {
		A  int8
		a  int64
		B  int16
		b  string
		C  string
		D  uint8
		E  float64
		F  int32
		c  byte
		T  time.Time `json:"t"`
		U  uintptr
		G  bool
		H  uint64 `json:"h,omitempty"`
		I  int    `json:",omitempty"`
		J  uint16
		K  uint32
		L  int64
		M  uint
		Zs string    `json:"zs,omitempty"`
		Zf float64   `json:"zf,omitempty"`
		Zt time.Time `json:"zt,omitempty"`
	}
	inplaceNamed struct {
		N inplaceInt8
		S inplaceStr `json:"s"`
		F inplaceFloat
	}
	inplacePtrShaped       struct{ p *int }
	inplacePtrShapedHidden struct {
		P *int `json:"-"`
	}
	inplaceOneByte  struct{ B bool }
	inplaceOneUint8 struct{ U uint8 }
	inplaceEmpty    struct{}
	inplaceInner    struct {
		X int
		S string
	}
	inplaceEmbedded         struct{ inplaceInner }
	inplaceEmbeddedExported struct {
		InplaceInner
		Y int
	}
	InplaceInner         = inplaceInner
	inplaceEmbeddedPtr   struct{ *InplaceInner }
	inplaceArray         struct{ A [3]int16 }
	inplacePointerField  struct{ P *int }
	inplaceInterfaceFild struct{ V any }
)

// inplaceValues returns values of the types above, each as a value, a
// pointer, a nil pointer and inside a map and a slice of interfaces.
func inplaceValues(seed int) []any {
	n := seed
	s := fmt.Sprintf("s%d\"\\\n<é>\u2028", seed)
	tm := time.Date(2000+seed%30, 3, 4, 5, 6, 7, seed*1000, time.FixedZone("Z", 3600*(seed%5)))
	align := inplaceAlign{
		A: int8(seed), a: -1, B: math.MinInt16, b: "hidden", C: s, D: math.MaxUint8, E: float64(seed) / 3,
		F: math.MinInt32, c: 0xff, T: tm, U: ^uintptr(0), G: seed%2 == 0, H: uint64(seed % 2),
		I: seed % 3, J: math.MaxUint16, K: math.MaxUint32, L: math.MinInt64, M: ^uint(0),
	}
	if seed%2 == 1 {
		align.Zs, align.Zf, align.Zt = s, math.Copysign(0, -1), tm
	}
	named := inplaceNamed{N: -128, S: inplaceStr(s), F: 1e21}
	vals := []any{
		align, &align, (*inplaceAlign)(nil),
		named, &named, (*inplaceNamed)(nil),
		inplacePtrShaped{&n}, &inplacePtrShaped{}, inplacePtrShaped{},
		inplacePtrShapedHidden{&n}, inplacePtrShapedHidden{},
		inplaceOneByte{seed%2 == 0}, &inplaceOneByte{true}, inplaceOneUint8{uint8(seed)}, inplaceOneUint8{},
		inplaceEmpty{}, &inplaceEmpty{}, (*inplaceEmpty)(nil),
		inplaceEmbedded{inplaceInner{seed, s}}, &inplaceEmbedded{},
		inplaceEmbeddedExported{InplaceInner{seed, s}, 2},
		inplaceEmbeddedPtr{}, inplaceEmbeddedPtr{&InplaceInner{seed, s}},
		inplaceArray{[3]int16{1, -2, int16(seed)}},
		inplacePointerField{}, inplacePointerField{&n},
		inplaceInterfaceFild{}, inplaceInterfaceFild{align}, inplaceInterfaceFild{&named},
	}
	m := map[string]any{}
	for i, v := range vals {
		m[fmt.Sprint(i)] = v
	}
	return append(vals, m, vals)
}

// renderInplace renders one record holding v with h's kind of handler.
func renderInplace(h slog.Handler, v any) {
	r := slog.NewRecord(baseTime, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Any("v", v), slog.Int("n", 1))
	_ = h.Handle(context.Background(), r)
}

// TestJSONStructInPlaceMatchesSlog compares the handler with
// slog.JSONHandler for struct values read in place (every field kind,
// alignment, named types, pointer-shaped and one-byte structs, and the
// shapes left to encoding/json), as values, pointers, nil pointers and
// inside maps and slices, logged from several goroutines while the
// collector runs.
func TestJSONStructInPlaceMatchesSlog(t *testing.T) {
	const seeds = 8
	want := make([]string, seeds)
	for seed := range seeds {
		var b bytes.Buffer
		h := slog.NewJSONHandler(&b, nil)
		for _, v := range inplaceValues(seed) {
			renderInplace(h, v)
		}
		want[seed] = b.String()
	}
	stop := make(chan struct{})
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]string, seeds)
	for seed := range seeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				var b bytes.Buffer
				h := NewJSONHandler(&b, nil)
				for _, v := range inplaceValues(seed) {
					renderInplace(h, v)
				}
				if b.String() != want[seed] {
					errs[seed] = cmp.Diff(want[seed], b.String())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-gcDone
	for seed, d := range errs {
		if d != "" {
			t.Errorf("seed %d differs from slog (-slog +handler):\n%s", seed, d)
		}
	}
}

// TestJSONScalarExtremesMatchSlog compares the handler with
// slog.JSONHandler for record attributes of every scalar kind at their
// extremes, with and without ReplaceAttr (which turns the direct path
// for scalars off), at the top level and under a group.
func TestJSONScalarExtremesMatchSlog(t *testing.T) {
	attrs := []slog.Attr{
		slog.Int64("min", math.MinInt64), slog.Int64("max", math.MaxInt64), slog.Int("zero", 0),
		slog.Int("neg1", -1), slog.Int64("neg10", -10), slog.Uint64("umax", math.MaxUint64),
		slog.Uint64("u1e19", 1e19), slog.Uint64("u1e19m1", 1e19-1), slog.Uint64("u0", 0),
		slog.Duration("dmin", math.MinInt64), slog.Duration("dmax", math.MaxInt64),
		slog.Float64("fmax", math.MaxFloat64), slog.Float64("fsmall", math.SmallestNonzeroFloat64),
		slog.Float64("negzero", math.Copysign(0, -1)), slog.Float64("nan", math.NaN()),
		slog.Float64("inf", math.Inf(-1)), slog.Bool("b", false), slog.String("", ""),
		slog.String(string(make([]byte, 70)), "k\x00"), slog.String("é\u2028", "\xff"),
		slog.Time("t", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)),
		slog.Time("t1", time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("", -60))),
		slog.Time("tneg", time.Date(-1, 1, 1, 0, 0, 0, 100, time.UTC)),
		slog.Time("tzero", time.Time{}),
	}
	identity := func(_ []string, a slog.Attr) slog.Attr { return a }
	for _, opts := range []*slog.HandlerOptions{nil, {ReplaceAttr: identity}} {
		for _, group := range []string{"", "g"} {
			want, got := compareHandlers(opts, func(h slog.Handler) {
				if group != "" {
					h = h.WithGroup(group)
				}
				for _, a := range attrs {
					r := slog.NewRecord(baseTime, slog.LevelInfo, "m", 0)
					r.AddAttrs(a)
					_ = h.Handle(context.Background(), r)
				}
				r := slog.NewRecord(baseTime, slog.LevelInfo, "all", 0)
				r.AddAttrs(attrs...)
				_ = h.Handle(context.Background(), r)
				_ = h.Handle(context.Background(), slog.NewRecord(baseTime, slog.LevelInfo, "none", 0))
			})
			if want != got {
				t.Errorf("ReplaceAttr %v, group %q: differs from slog (-slog +handler):\n%s", opts != nil, group, cmp.Diff(want, got))
			}
		}
	}
}
