package sampling

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// payload is a struct holding containers the caller changes after the call.
type payload struct {
	Name string
	Tags []string
	Meta map[string]int
}

// textValuer resolves to a string; groupOf to a group.
type textValuer string

func (v textValuer) LogValue() slog.Value { return slog.StringValue("v:" + string(v)) }

type groupOf []slog.Attr

func (g groupOf) LogValue() slog.Value { return slog.GroupValue(g...) }

// randomAttrs builds n attributes from rng, and the function that changes
// every container among them.
func randomAttrs(rng *rand.Rand, n int) ([]slog.Attr, func()) {
	var attrs []slog.Attr
	var mutate []func()
	for i := range n {
		key := fmt.Sprint("k", i)
		switch rng.IntN(9) {
		case 0:
			attrs = append(attrs, slog.String(key, strings.Repeat("s", rng.IntN(40))))
		case 1:
			attrs = append(attrs, slog.Int(key, rng.IntN(1000)))
		case 2:
			attrs = append(attrs, slog.Group(key, slog.String("a", "x"), slog.Group("in", slog.Int("b", i))))
		case 3:
			attrs = append(attrs, slog.Group(key)) // empty: dropped
		case 4:
			attrs = append(attrs, slog.Any(key, textValuer(key)))
		case 5:
			attrs = append(attrs, slog.Any(key, groupOf{slog.Int("x", i), slog.Any("t", textValuer("in"))}))
		case 6:
			attrs = append(attrs, slog.Any(key, groupOf{})) // resolves to an empty group
		case 7:
			m := map[string]int{"a": i}
			attrs = append(attrs, slog.Any(key, m))
			mutate = append(mutate, func() { m["a"] = -1; m["new"] = 2 })
		default:
			p := &payload{Name: key, Tags: []string{"t1", "t2"}, Meta: map[string]int{"m": i}}
			attrs = append(attrs, slog.Any(key, p))
			mutate = append(mutate, func() { p.Name, p.Tags[0], p.Meta["m"] = "changed", "changed", -1 })
		}
	}
	return attrs, func() {
		for _, m := range mutate {
			m()
		}
	}
}

// chain applies a random WithAttrs/WithGroup chain (attributes that
// resolve to an empty group among them) to h, the same for the
// same rng state.
func chain(rng *rand.Rand, h slog.Handler) slog.Handler {
	for i := range rng.IntN(4) {
		switch rng.IntN(3) {
		case 0:
			h = h.WithGroup(fmt.Sprint("g", i))
		case 1:
			h = h.WithAttrs([]slog.Attr{slog.Int(fmt.Sprint("w", i), i)})
		default:
			h = h.WithAttrs([]slog.Attr{slog.Any(fmt.Sprint("e", i), groupOf{})})
		}
	}
	return h
}

// TestRescuedBytesAsWrittenAtOnce logs random records (0 to 12 attributes:
// groups, empty groups, LogValuers resolving to strings, groups and empty
// groups, maps and structs changed right after the call) on random
// WithAttrs/WithGroup chains in two requests: one that is not sampled, its
// records buffered and rescued by a final ERROR, and one kept before its
// first record, its records written at once. The rescued bytes must be the
// bytes written at once, record by record.
func TestRescuedBytesAsWrittenAtOnce(t *testing.T) {
	for seed := range uint64(40) {
		bufA, nextA := newJSON(slog.LevelDebug)
		bufB, nextB := newJSON(slog.LevelDebug)
		hA, hB := NewHandler(nextA, DefaultOptions()), NewHandler(nextB, DefaultOptions())
		ctxA, sA := open(notSampled)
		ctxB, sB := open(notSampled)
		sB.Keep()
		rngA, rngB := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
		records := 1 + rngA.IntN(20)
		rngB.IntN(20)
		for i := range records {
			level := slog.LevelInfo
			if i == records-1 {
				level = slog.LevelError
			}
			n := rngA.IntN(13)
			rngB.IntN(13)
			attrsA, mutateA := randomAttrs(rngA, n)
			attrsB, _ := randomAttrs(rngB, n)
			la, lb := chain(rngA, hA), chain(rngB, hB)
			ra := slog.NewRecord(time0, level, fmt.Sprint("m", i), 0)
			ra.AddAttrs(attrsA...)
			rb := slog.NewRecord(time0, level, fmt.Sprint("m", i), 0)
			rb.AddAttrs(attrsB...)
			if err := la.Handle(ctxA, ra); err != nil {
				t.Fatal(err)
			}
			mutateA()
			if err := lb.Handle(ctxB, rb); err != nil {
				t.Fatal(err)
			}
		}
		sA.End()
		sB.End()
		if diff := cmp.Diff(bufB.String(), bufA.String()); diff != "" {
			t.Fatalf("seed %d: rescued (+) differs from written at once (-):\n%s", seed, diff)
		}
		if st := hA.Stats(); st.RecordsRescued != uint64(records-1) {
			t.Fatalf("seed %d: rescued %d, want %d", seed, st.RecordsRescued, records-1)
		}
	}
}
