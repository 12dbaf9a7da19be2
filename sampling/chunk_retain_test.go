package sampling

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// retainer is a next handler that keeps every record it is given (as
// async.Handler or a user's handler may), logs once into the request of
// the first record of each request it sees (so that records are buffered
// while the buffer is written), and panics on records marked so.
type retainer struct {
	mu      sync.Mutex
	records []slog.Record
	seen    map[context.Context]bool
	logger  func() *slog.Logger
}

func (r *retainer) Enabled(context.Context, slog.Level) bool { return true }
func (r *retainer) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *retainer) WithGroup(string) slog.Handler            { return r }

func (r *retainer) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec)
	first := !r.seen[ctx]
	r.seen[ctx] = true
	r.mu.Unlock()
	if first {
		r.logger().LogAttrs(ctx, slog.LevelInfo, "reentrant", flatAttrs("re", 0)...)
	}
	if strings.HasSuffix(rec.Message, "-3") {
		panic("next handler failed")
	}
	return nil
}

// flatAttrs returns the attributes of record i of request id: strings
// that say whose they are, and numbers, past the inline five.
func flatAttrs(id string, i int) []slog.Attr {
	return []slog.Attr{
		slog.String("id", id), slog.Int("i", i),
		slog.String("s", strings.Repeat(id, 1+i%40)),
		slog.Int("a", 1), slog.Int("b", 2), slog.Int("c", 3),
		slog.String("tail", id+fmt.Sprint("/", i)),
	}
}

// TestWrittenStringsNeverReused runs many requests at once on one handler
// with small bounds (records evicted, chunks given back, dropped requests'
// chunks pooled and reused), some kept while other goroutines keep logging
// into them and the next handler logs into them and panics, and checks
// that every record the next handler kept still holds its own strings at
// the end: no chunk a written record points into is ever written again.
func TestWrittenStringsNeverReused(t *testing.T) {
	ret := &retainer{seen: map[context.Context]bool{}}
	h := NewHandler(ret, withRecords(6))
	l := slog.New(h)
	ret.logger = func() *slog.Logger { return l }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 150 {
				id := fmt.Sprint("g", g, "r", n, "_")
				ctx, s := open(notSampled)
				var side sync.WaitGroup
				side.Add(1)
				go func() { // another goroutine of the same request
					defer side.Done()
					for i := 100; i < 120; i++ {
						l.LogAttrs(ctx, slog.LevelInfo, fmt.Sprint(id, "-", i), flatAttrs(id, i)...)
					}
				}()
				for i := range 20 {
					l.LogAttrs(ctx, slog.LevelInfo, fmt.Sprint(id, "-", i), flatAttrs(id, i)...)
					switch {
					case n%3 == 0 && i == 10:
						s.Keep()
					case n%3 == 1 && i == 15:
						l.LogAttrs(ctx, slog.LevelError, fmt.Sprint(id, "-err"), flatAttrs(id, i)...)
					}
				}
				side.Wait()
				s.End()
				l.LogAttrs(ctx, slog.LevelInfo, fmt.Sprint(id, "-after"), flatAttrs(id, 0)...)
			}
		}()
	}
	wg.Wait()
	ret.mu.Lock()
	defer ret.mu.Unlock()
	if len(ret.records) == 0 {
		t.Fatal("nothing written")
	}
	for _, r := range ret.records {
		got := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			got[a.Key] = a.Value.String()
			return true
		})
		if r.Message == "reentrant" || got["id"] == "" {
			if r.Message != "reentrant" && r.Message != lostRecordsMessage {
				t.Fatalf("record %q without id: %v", r.Message, got)
			}
			continue
		}
		id, i := got["id"], 0
		fmt.Sscan(got["i"], &i)
		want := map[string]string{
			"id": id, "i": fmt.Sprint(i), "s": strings.Repeat(id, 1+i%40),
			"a": "1", "b": "2", "c": "3", "tail": id + fmt.Sprint("/", i),
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("record %q: %s = %q, want %q (overwritten)", r.Message, k, got[k], v)
			}
		}
		if !strings.HasPrefix(r.Message, id+"-") {
			t.Fatalf("record %q of request %q (overwritten)", r.Message, id)
		}
	}
	st := h.Stats()
	if st.BufferedBytes != 0 || st.BufferedRecords != 0 {
		t.Fatalf("not given back: %+v", st)
	}
	checkConservation(t, st)
}
