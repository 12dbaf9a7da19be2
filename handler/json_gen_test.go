package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"time"
)

// This file builds random records, handler options and With/WithGroup
// chains from fuzz input, and runs them through slog.JSONHandler and
// JSONHandler side by side.

// compareHandlers runs scenario against a fresh slog.JSONHandler and a fresh
// JSONHandler with the same options and returns both outputs.
func compareHandlers(opts *slog.HandlerOptions, scenario func(h slog.Handler)) (want, got string) {
	var wb, gb bytes.Buffer
	scenario(slog.NewJSONHandler(&wb, opts))
	scenario(NewJSONHandler(&gb, opts))
	return wb.String(), gb.String()
}

// callerPC returns the program counter of its caller, as slog.Logger
// records it.
func callerPC() uintptr {
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	return pcs[0]
}

var (
	testPC     = callerPC()
	zoneEast   = time.FixedZone("EAST", 5*3600+30*60)
	zoneWest   = time.FixedZone("WEST", -7*3600)
	zoneOddSec = time.FixedZone("LMT", -(3600 + 15*60 + 17)) // offset with seconds
	zoneFar    = time.FixedZone("FAR", 24*3600+60)           // beyond what RFC 3339 allows
	baseTime   = time.Date(2026, 11, 28, 1, 2, 3, 456789000, time.UTC)
)

// fixedStrings are strings worth having in every run: escaping, invalid
// UTF-8, line separators, HTML characters, long strings.
var fixedStrings = []string{
	"", "a", "request handled", "<b>&amp;</b>", "quote\"back\\slash",
	"tab\tnl\nret\r", "\x00\x01\x1f\x7f", "\xff\xfe", "\u2028\u2029", "é漢字🙂",
	"bad\xc3(utf8", strings.Repeat("long\"\\\n\u2028x", 2000), "{", "}", "time", "level", "msg", "source",
}

// testError is an error value.
type testError struct{ msg string }

func (e *testError) Error() string { return e.msg }

// marshalerError is an error that is also a json.Marshaler: slog encodes
// it with MarshalJSON, not Error.
type marshalerError struct{ msg string }

func (e marshalerError) Error() string { return "error:" + e.msg }
func (e marshalerError) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"m": e.msg})
}

// badMarshaler fails to marshal.
type badMarshaler struct{}

func (badMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot marshal") }

// invalidMarshaler returns invalid JSON.
type invalidMarshaler struct{}

func (invalidMarshaler) MarshalJSON() ([]byte, error) { return []byte("{oops"), nil }

// panicMarshaler panics in MarshalJSON.
type panicMarshaler struct{ n int }

func (p panicMarshaler) MarshalJSON() ([]byte, error) { panic(fmt.Sprintf("marshal boom %d", p.n)) }

// textValue is an encoding.TextMarshaler.
type textValue struct{ s string }

func (t textValue) MarshalText() ([]byte, error) { return []byte("text:" + t.s), nil }

// chainValuer resolves through depth LogValue calls to final.
type chainValuer struct {
	depth int
	final slog.Value
}

func (c chainValuer) LogValue() slog.Value {
	if c.depth <= 0 {
		return c.final
	}
	return slog.AnyValue(chainValuer{c.depth - 1, c.final})
}

// loopValuer never resolves: slog gives up after 100 calls.
type loopValuer struct{}

func (loopValuer) LogValue() slog.Value { return slog.AnyValue(loopValuer{}) }

// plainStruct is encoded by encoding/json's reflection.
type plainStruct struct {
	A int               `json:"a"`
	B string            `json:"b,omitempty"`
	C map[string]string `json:"c"`
	F float64
}

// gen turns fuzz input into values. It never fails: past the end of the
// input it reads zeros.
type gen struct {
	data []byte
}

func (g *gen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *gen) intn(n int) int { return int(g.byte()) % n }

func (g *gen) uint64() uint64 {
	var u uint64
	for range 8 {
		u = u<<8 | uint64(g.byte())
	}
	return u
}

// string returns either raw bytes from the input (which may be invalid
// UTF-8 or hold control characters) or one of fixedStrings.
func (g *gen) string() string {
	sel := g.byte()
	if sel >= 128 {
		return fixedStrings[int(sel)%len(fixedStrings)]
	}
	n := min(int(sel)%32, len(g.data))
	s := string(g.data[:n])
	g.data = g.data[n:]
	return s
}

// key returns a key, usually one that the ReplaceAttr rules act on.
func (g *gen) key() string {
	keys := [...]string{"a", "b", "drop", "d2", "rename", "group", "time", "level", "msg", "source", "", "k"}
	sel := g.intn(len(keys) + 1)
	if sel == len(keys) {
		return g.string()
	}
	return keys[sel]
}

func (g *gen) time() time.Time {
	locs := [...]*time.Location{time.UTC, time.Local, zoneEast, zoneWest, zoneOddSec, zoneFar}
	switch g.intn(8) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	case 2:
		return time.Date(-1, 12, 31, 23, 59, 59, 999, zoneWest)
	case 3:
		return time.Unix(int64(g.uint64()%(1<<40)), int64(g.uint64()%1e9)).In(locs[g.intn(len(locs))])
	case 4:
		return time.Date(1, 1, 1, 0, 0, 0, int(g.uint64()%1e9), locs[g.intn(len(locs))])
	default:
		return baseTime.Add(time.Duration(g.uint64() % uint64(time.Hour))).In(locs[g.intn(len(locs))])
	}
}

func (g *gen) float() float64 {
	specials := [...]float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
		1e21, 1e20, 1e-6, 1e-7, 123456789.125, -0.5, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-9}
	if sel := g.intn(len(specials) + 1); sel < len(specials) {
		return specials[sel]
	}
	return math.Float64frombits(g.uint64())
}

// value returns a value of any kind; depth bounds nesting.
func (g *gen) value(depth int) slog.Value {
	switch g.intn(24) {
	case 0:
		return slog.StringValue(g.string())
	case 1:
		return slog.Int64Value(int64(g.uint64()))
	case 2:
		return slog.Uint64Value(g.uint64())
	case 3:
		return slog.Float64Value(g.float())
	case 4:
		return slog.BoolValue(g.byte()&1 == 1)
	case 5:
		return slog.DurationValue(time.Duration(g.uint64()))
	case 6:
		return slog.TimeValue(g.time())
	case 7:
		return slog.AnyValue(nil)
	case 8:
		return slog.AnyValue(&testError{g.string()})
	case 9:
		return slog.AnyValue((*testError)(nil)) // Error panics on a nil pointer
	case 10:
		return slog.AnyValue(marshalerError{g.string()})
	case 11:
		return slog.AnyValue([]any{badMarshaler{}, invalidMarshaler{}, panicMarshaler{}}[g.intn(3)])
	case 12:
		return slog.AnyValue(textValue{g.string()})
	case 13:
		return slog.AnyValue(plainStruct{A: int(g.byte()), B: g.string(), C: map[string]string{g.string(): g.string()}, F: g.float()})
	case 14:
		return slog.AnyValue([]any{[]byte(g.string()), []string{g.string(), g.string()}, map[string]any{"x": g.float()},
			make(chan int), func() {}, slog.Level(int(g.byte()) - 128), slog.KindGroup, json.RawMessage(g.string()),
			json.Number(g.string()), &slog.Source{Function: g.string(), File: g.string(), Line: int(g.byte())}, (*slog.Source)(nil),
			&slog.Source{}, complex(1, 2), g.time(), time.Duration(g.uint64()), uint8(g.byte()), [2]int{1, 2},
			// Values encoded without encoding/json, to the same bytes.
			fastUser{Name: g.string(), Score: g.float(), Since: g.time(), Age: int(g.byte())},
			&fastTimeOnly{g.time()}, []int{int(g.uint64())}, map[string]int{g.string(): int(g.byte()), g.string(): 1},
			map[string]any{g.string(): g.string(), g.string(): g.float()}}[g.intn(22)])
	case 15:
		if depth > 0 {
			return slog.AnyValue(chainValuer{g.intn(4), g.value(depth - 1)})
		}
		return slog.AnyValue(chainValuer{g.intn(4), slog.StringValue("leaf")})
	case 16:
		return slog.AnyValue(loopValuer{})
	case 17, 18, 19:
		if depth > 0 {
			return slog.GroupValue(g.attrs(depth-1, 4)...)
		}
		return slog.GroupValue()
	case 20:
		return slog.AnyValue(errors.Join(&testError{g.string()}, errors.New(g.string())))
	case 21:
		return slog.AnyValue(fmt.Errorf("wrapped: %w", &testError{g.string()}))
	case 22:
		if g.intn(2) == 0 {
			return slog.AnyValue(struct{ Ch chan int }{})
		}
		// A random struct type's value, pointer or nil pointer, or a
		// random map of up to 20 entries.
		return slog.AnyValue(randFastValues(g)[g.intn(4)])
	default:
		return slog.StringValue(g.string())
	}
}

func (g *gen) attr(depth int) slog.Attr {
	if g.intn(16) == 0 {
		return slog.Attr{} // the empty Attr, ignored
	}
	return slog.Attr{Key: g.key(), Value: g.value(depth)}
}

func (g *gen) attrs(depth, maxN int) []slog.Attr {
	n := g.intn(maxN + 1)
	as := make([]slog.Attr, n)
	for i := range as {
		as[i] = g.attr(depth)
	}
	return as
}

// replaceAttr returns a deterministic ReplaceAttr chosen by mode, or nil.
// The rules rename, drop and rewrite attributes, built-in ones included,
// and some depend on the groups argument.
func replaceAttr(mode byte) func([]string, slog.Attr) slog.Attr {
	switch mode % 6 {
	case 0:
		return nil
	case 1: // identity
		return func(_ []string, a slog.Attr) slog.Attr { return a }
	case 2: // drop and rename
		return func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case strings.HasPrefix(a.Key, "d"):
				return slog.Attr{}
			case a.Key == "rename":
				return slog.Attr{Key: "renamed", Value: a.Value}
			case a.Key == slog.TimeKey && len(groups) == 0:
				return slog.Attr{Key: "ts", Value: a.Value}
			case a.Key == slog.MessageKey && len(groups) == 0:
				return slog.Attr{Key: "message", Value: a.Value}
			}
			return a
		}
	case 3: // rewrite built-ins and values
		return func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				if a.Value.Kind() == slog.KindTime {
					return slog.Int64(a.Key, a.Value.Time().Unix())
				}
			case slog.LevelKey:
				return slog.String("severity", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				// A built-in turned into a group holding a source: its
				// contents see nil groups, as the built-in did.
				return slog.Group("message", slog.String("text", a.Value.String()),
					slog.Any("at", &slog.Source{Function: "f", Line: len(groups) + 1}), slog.Any("drop", 0))
			case slog.SourceKey:
				if src, ok := a.Value.Any().(*slog.Source); ok && src != nil {
					return slog.String(a.Key, fmt.Sprintf("%s:%d", src.File, src.Line))
				}
			case "group":
				return slog.Group("g", slog.Int("depth", len(groups)), slog.Any("drop", 1), slog.String("k", a.Key))
			case "k":
				return slog.Any("kv", chainValuer{2, slog.StringValue(strings.Join(groups, "."))})
			case "b":
				return slog.Any("", nil)
			case "a":
				return slog.Any("src", &slog.Source{File: "f.go", Line: len(groups)})
			case "function", "file", "line":
				return slog.String(a.Key+"_", a.Value.String())
			}
			return a
		}
	case 4: // depends on the groups
		return func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) >= 2 {
				return slog.Attr{}
			}
			if len(groups) == 1 {
				a.Key = groups[0] + "." + a.Key
			}
			return a
		}
	default: // drop everything inside groups, which leaves groups empty
		return func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 || a.Key == "drop" || a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		}
	}
}

// scenario is one fuzz case: options, a With/WithGroup chain and records.
type scenario struct {
	opts  *slog.HandlerOptions
	steps []func(slog.Handler) slog.Handler
	recs  []slog.Record
}

// newScenario builds a scenario from fuzz input.
func newScenario(data []byte) scenario {
	g := &gen{data: data}
	flags := g.byte()
	var sc scenario
	if flags&1 == 1 {
		sc.opts = &slog.HandlerOptions{
			AddSource:   flags&2 != 0,
			Level:       slog.Level(int(g.byte()%16) - 8),
			ReplaceAttr: replaceAttr(g.byte()),
		}
	}
	for range g.intn(5) {
		if g.byte()&1 == 0 {
			name := g.key()
			sc.steps = append(sc.steps, func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
		} else {
			as := g.attrs(2, 4)
			sc.steps = append(sc.steps, func(h slog.Handler) slog.Handler {
				// The handler owns the slice: give each its own.
				return h.WithAttrs(append([]slog.Attr(nil), as...))
			})
		}
	}
	for range 1 + g.intn(2) {
		pcs := [...]uintptr{0, testPC, 1}
		r := slog.NewRecord(g.time(), slog.Level(int(g.byte()%24)-12), g.string(), pcs[g.intn(len(pcs))])
		r.AddAttrs(g.attrs(3, 8)...)
		sc.recs = append(sc.recs, r)
	}
	return sc
}

// run applies the scenario to h and hands it every record, enabled or not
// (Handle does not filter; Enabled is compared by TestJSONHandlerEnabled).
func (sc scenario) run(h slog.Handler) {
	for _, step := range sc.steps {
		h = step(h)
	}
	for _, r := range sc.recs {
		_ = h.Handle(context.Background(), r)
	}
}
