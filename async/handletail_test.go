package async

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestHandleTailMatchesHandle checks that a record handed to HandleTail
// with a tail is written exactly as the record rebuilt with the tail
// (fuse.Tail.Record) handed to Handle, queued and, after Close, handled
// synchronously: random records of 0 to 9 attributes of several kinds,
// tails of 0 to 3 attributes with empty groups among them, under With
// and WithGroup.
func TestHandleTailMatchesHandle(t *testing.T) {
	leakcheck.Check(t)
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			var viaTail, viaHandle bytes.Buffer
			tailH := NewHandler(slog.NewJSONHandler(&viaTail, nil), DefaultOptions())
			handleH := NewHandler(slog.NewJSONHandler(&viaHandle, nil), DefaultOptions())
			rng := rand.New(rand.NewPCG(seed, 17))
			chain := func(h slog.Handler) slog.Handler {
				if seed%3 == 1 {
					h = h.WithGroup("g")
				}
				if seed%2 == 1 {
					h = h.WithAttrs([]slog.Attr{slog.String("service", "api")})
				}
				return h
			}
			ht, hh := chain(tailH).(fuse.Handler), chain(handleH)
			ctx := context.Background()
			for i := range 60 {
				if i == 40 { // the rest after Close: handled synchronously
					closeBoth(t, tailH, handleH)
				}
				r, tail := randomRecordAndTail(rng)
				if err := ht.HandleTail(ctx, r, tail); err != nil {
					t.Fatal(err)
				}
				if err := hh.Handle(ctx, tail.Record(r)); err != nil {
					t.Fatal(err)
				}
			}
			if d := cmp.Diff(viaHandle.String(), viaTail.String()); d != "" {
				t.Errorf("HandleTail wrote (-Handle +HandleTail):\n%s", d)
			}
		})
	}
}

func closeBoth(t *testing.T, hs ...*Handler) {
	t.Helper()
	for _, h := range hs {
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// tailValuer resolves to a string or to a group.
type tailValuer int

func (v tailValuer) LogValue() slog.Value {
	if v%2 == 0 {
		return slog.StringValue("resolved")
	}
	return slog.GroupValue(slog.Int("n", int(v)))
}

func randomRecordAndTail(rng *rand.Rand) (slog.Record, fuse.Tail) {
	attr := func(key string) slog.Attr {
		switch rng.IntN(6) {
		case 0:
			return slog.String(key, "v")
		case 1:
			return slog.Int(key, rng.IntN(100))
		case 2:
			return slog.Group(key, slog.Bool("b", true))
		case 3:
			return slog.Group(key) // empty: AddAttrs leaves it out
		case 4:
			return slog.Any(key, tailValuer(rng.IntN(4)))
		default:
			return slog.Any(key, map[string]int{"a": 1})
		}
	}
	r := slog.NewRecord(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), slog.LevelInfo, "m", 0)
	for i := range rng.IntN(10) {
		r.AddAttrs(attr(fmt.Sprint("k", i)))
	}
	var tail fuse.Tail
	for i := range rng.IntN(fuse.MaxTail + 1) {
		tail.Add(attr(fmt.Sprint("t", i)))
	}
	return r, tail
}
