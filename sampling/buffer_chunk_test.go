package sampling

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chargeOf recomputes what a request's buffer should be charged from what
// it holds: its ring's slots, the heap of the records copied on their own,
// and every chunk a buffered record, the arenas or the pairs they remember
// hold, each once, by its capacity.
func chargeOf(st *scopeState) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := int64(len(st.ring) * entrySize)
	seen := map[any]bool{}
	add := func(c any, charge int) {
		if c != nil && !seen[c] {
			seen[c] = true
			n += int64(charge)
		}
	}
	addPair := func(p *chunkPair) {
		if p == nil {
			return
		}
		if p.text != nil {
			add(p.text, p.text.charge)
		}
		if p.attrs != nil {
			add(p.attrs, p.attrs.charge)
		}
	}
	for i := 0; i < st.n; i++ {
		e := &st.ring[(st.head+i)&(len(st.ring)-1)]
		n += int64(e.payload)
		addPair(e.pieces)
	}
	if c := st.chunks.text.cur; c != nil {
		add(c, c.charge)
	}
	if c := st.chunks.attrs.cur; c != nil {
		add(c, c.charge)
	}
	// The pairs the arenas remember keep their chunks on the heap too.
	for _, p := range st.chunks.pairs {
		addPair(p)
	}
	return n
}

// TestChunksChargedByCapacity logs flat records of growing sizes (some
// with attributes past the fifth, some with values copied on their own)
// into requests whose bounds evict the oldest records, and checks after
// every record that the buffer is charged exactly its slots, its own
// copies and the capacity of the chunks it holds, no more (a chunk whose
// last record left is given back) and no less; then that a kept request
// writes exactly the records it held, with the loss report, and that every
// byte is given back when the requests end.
func TestChunksChargedByCapacity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records int
		opts    Options
	}{
		{"default bounds", 2000, DefaultOptions()},
		{"record bound", 300, withRecords(16)},
		{"byte bound", 300, withRequestBytes(48 << 10)},
		{"global budget", 300, withBudget(96 << 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, tc.opts)
			l := slog.New(h)
			ctx, s := open(notSampled)
			defer s.End()
			for i := range tc.records {
				attrs := []slog.Attr{slog.Int("i", i), slog.String("pad", strings.Repeat("x", i%700))}
				for k := range i % 9 {
					attrs = append(attrs, slog.String(fmt.Sprint("k", k), fmt.Sprint(i)))
				}
				if i%50 == 7 {
					attrs = append(attrs, slog.Any("own", []int{i})) // not flat
				}
				l.LogAttrs(ctx, slog.LevelInfo, fmt.Sprint("m", i), attrs...)
				_, st := h.sh.stateOf(ctx)
				if got, want := h.Stats().BufferedBytes, chargeOf(st); got != want {
					t.Fatalf("after record %d: charged %d, holds %d", i, got, want)
				}
			}
			st := h.Stats()
			held := int(st.BufferedRecords)
			l.ErrorContext(ctx, "boom")
			lines := out.Lines(t)
			var got []string
			for _, m := range lines[:len(lines)-1] {
				if m["msg"] == lostRecordsMessage {
					got = append(got, fmt.Sprint("lost ", m[lostRecordsKey]))
					continue
				}
				if m["pad"] != strings.Repeat("x", int(m["i"].(float64))%700) {
					t.Fatalf("record %v: pad of %d bytes", m["i"], len(m["pad"].(string)))
				}
				got = append(got, fmt.Sprint(m["msg"]))
			}
			var want []string
			if lost := tc.records - held; lost > 0 {
				want = append(want, fmt.Sprint("lost ", lost))
			}
			for i := tc.records - held; i < tc.records; i++ {
				want = append(want, fmt.Sprint("m", i))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("written (-want +got):\n%s", diff)
			}
			s.End()
			if st := h.Stats(); st.BufferedBytes != 0 || st.BufferedRecords != 0 {
				t.Fatalf("not given back: %+v", st)
			}
			checkConservation(t, h.Stats())
		})
	}
}

// TestFlatRecordAllocatesNothing checks that buffering the standard record
// (six attributes: one past the inline five) allocates nothing once its
// chunks are there, and that one with a value of kind Any still does (it
// is copied on its own).
func TestFlatRecordAllocatesNothing(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, Options{MaxRequestRecords: 1 << 20, MaxRequestBytes: 1 << 30, MaxBufferedBytes: 1 << 30})
	ctx, s := open(notSampled)
	defer s.End()
	r := slog.NewRecord(time0, slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.String("path", "/x"), slog.Int("status", 200),
		slog.Duration("latency", 5), slog.Int64("bytes", 9), slog.Bool("ok", true))
	for range 100 {
		h.Handle(ctx, r)
	}
	if a := testing.AllocsPerRun(200, func() { h.Handle(ctx, r) }); a != 0 {
		t.Fatalf("%v allocations per flat record, want 0", a)
	}
	r.AddAttrs(slog.Any("v", []int{1}))
	if a := testing.AllocsPerRun(200, func() { h.Handle(ctx, r) }); a == 0 {
		t.Fatal("a record with a slice buffered without allocating: not copied")
	}
}

// TestDroppedChunksRecycled opens requests one after the other, each
// logging a few flat records, most dropped at their end and every third
// kept: a kept request writes exactly what it logged (its chunks, recycled
// from dropped requests, hold nothing of theirs), and once the pools are
// warm a dropped request allocates no chunk, only the pair naming them
// (outside the race detector,
// whose pools drop what they are given at random).
func TestDroppedChunksRecycled(t *testing.T) {
	out, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	l := slog.New(h)
	request := func(id int, keep bool) {
		ctx, s := open(notSampled)
		for i := range 7 {
			l.LogAttrs(ctx, slog.LevelInfo, fmt.Sprint("r", id, "-", i), slog.String("s", strings.Repeat("v", id%50)),
				slog.Int("a", 1), slog.Int("b", 2), slog.Int("c", 3), slog.Int("d", 4), slog.Int("e", 5), slog.String("last", fmt.Sprint(id)))
		}
		if keep {
			s.Keep()
		}
		s.End()
	}
	for id := range 300 {
		request(id, id%3 == 0)
		if id%3 != 0 {
			continue
		}
		lines := out.Lines(t)
		out.Reset()
		var got, want []string
		for i, m := range lines {
			got = append(got, fmt.Sprint(m["msg"], " ", m["s"], " ", m["last"]))
			want = append(want, fmt.Sprint("r", id, "-", i, " ", strings.Repeat("v", id%50), " ", id))
		}
		if len(lines) != 7 {
			t.Fatalf("request %d wrote %d records, want 7", id, len(lines))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("request %d (-want +got):\n%s", id, diff)
		}
	}
	if raceEnabled {
		return
	}
	withChunks := testing.AllocsPerRun(100, func() { request(1, false) })
	// The same request with its records copied on their own: the
	// difference is what its chunks cost it.
	ownCopies := 0.0
	{
		sh := h.sh
		saved := sh.cfg.maxRequestBytes
		sh.cfg.maxRequestBytes = 1 << 14 // too small for chunks: copies of their own
		ownCopies = testing.AllocsPerRun(100, func() { request(1, false) })
		sh.cfg.maxRequestBytes = saved
	}
	// Copies of their own take two allocations per record (text and
	// overflow attributes); chunks from the pools take one per request
	// (the pair naming them).
	if withChunks+7*2-1 > ownCopies {
		t.Fatalf("a dropped request of 7 flat records: %v allocations with chunks, %v with copies of their own; want 13 fewer", withChunks, ownCopies)
	}
}

// TestChunkChargeRandomMix logs random mixes of flat records (with and
// without attributes past the inline ones, of random text sizes) into
// requests with small bounds (and some with many attributes, past what the
// first chunks hold), so that chunks follow one another and leave in every
// order, and checks after every record that the buffer is
// charged exactly the chunks the heap holds for it: a chunk given back
// must be held by nothing the buffer keeps, not even the pairs it
// remembers. Half the requests are then kept: they write the records they
// hold, each as logged (no piece overwritten by a chunk's reuse), after
// the exact number of records lost.
func TestChunkChargeRandomMix(t *testing.T) {
	for seed := range 20 {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(uint64(seed), 1))
			opts := []Options{
				withRecords(1 + rnd.IntN(12)),
				withRequestBytes(32<<10 + rnd.IntN(32<<10)),
				withBudget(64<<10 + int64(rnd.IntN(64<<10))),
				// Chunks of the largest size: records of up to 128
				// attributes past the inline ones keep theirs in them.
				{MaxRequestRecords: 1 + rnd.IntN(6), MaxRequestBytes: 1 << 20, MaxBufferedBytes: 1 << 30},
			}[seed%4]
			out, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, opts)
			l := slog.New(h)
			ctx, s := open(notSampled)
			const records = 400
			logged := make([]map[string]any, records) // what each record writes
			for i := range records {
				var attrs []slog.Attr
				n, size := rnd.IntN(11), 300
				if rnd.IntN(8) == 0 {
					n, size = rnd.IntN(140), 8
				}
				logged[i] = rec("INFO", fmt.Sprint("m", i))
				for k := range n {
					a := slog.String(fmt.Sprint("k", k), strings.Repeat(string(rune('a'+i%26)), rnd.IntN(size)))
					attrs = append(attrs, a)
					logged[i][a.Key] = a.Value.String()
				}
				l.LogAttrs(ctx, slog.LevelInfo, fmt.Sprint("m", i), attrs...)
				_, st := h.sh.stateOf(ctx)
				if got, want := h.Stats().BufferedBytes, chargeOf(st); got != want {
					t.Fatalf("after record %d: charged %d, holds %d", i, got, want)
				}
			}
			if seed%2 == 0 {
				// Kept: it writes the newest records, each as logged,
				// after the exact number of those lost.
				held := int(h.Stats().BufferedRecords)
				s.Keep()
				var want []map[string]any
				if held < records {
					want = append(want, kept(rec("WARN", lostRecordsMessage, lostRecordsKey, float64(records-held)), 0.1))
				}
				for _, m := range logged[records-held:] {
					want = append(want, kept(m, 0.1))
				}
				if diff := cmp.Diff(want, out.Lines(t)); diff != "" {
					t.Fatalf("written (-want +got):\n%s", diff)
				}
			}
			s.End()
			if st := h.Stats(); st.BufferedBytes != 0 || st.BufferedRecords != 0 {
				t.Fatalf("not given back: %+v", st)
			}
			checkConservation(t, h.Stats())
		})
	}
}

// TestReleasedChunkForgotten follows the two ways a chunk is given back
// while a pair the buffer remembers names it, with one or two records
// buffered at a time: evicted with its last record while not current, and replaced,
// empty, as the current chunk by a larger one for a record that does not
// fit it. Either way the buffer must hold no more than it is charged.
func TestReleasedChunkForgotten(t *testing.T) {
	attrs := func(n, size int) []slog.Attr {
		var as []slog.Attr
		for k := range n {
			as = append(as, slog.String(fmt.Sprint("k", k), strings.Repeat("v", size)))
		}
		return as
	}
	for _, tc := range []struct {
		name    string
		bound   int
		records [][]slog.Attr
	}{
		// Text and attributes, then text only past the first text chunk:
		// the first chunk leaves with its last record.
		{"evicted", 2, [][]slog.Attr{attrs(6, 10), attrs(1, 900), attrs(1, 900), attrs(1, 10)}},
		// Text and attributes, text only, then text larger than the
		// first chunk, which is empty when the record arrives.
		{"replaced", 1, [][]slog.Attr{attrs(6, 10), attrs(1, 10), attrs(1, 2000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, Options{MaxRequestRecords: tc.bound, MaxRequestBytes: 1 << 20, MaxBufferedBytes: 1 << 30})
			l := slog.New(h)
			ctx, s := open(notSampled)
			defer s.End()
			for i, as := range tc.records {
				l.LogAttrs(ctx, slog.LevelInfo, "m", as...)
				_, st := h.sh.stateOf(ctx)
				if got, want := h.Stats().BufferedBytes, chargeOf(st); got != want {
					t.Fatalf("after record %d: charged %d, holds %d", i, got, want)
				}
			}
		})
	}
}
