package redact

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// runtimeKey builds the key base at run time, in fresh memory, the way
// method m says: fmt.Sprint, strings.Builder, a byte-slice conversion, a
// substring of a larger string, a prefix of a longer one.
func runtimeKey(base string, m int) string {
	switch m % 5 {
	case 0:
		return fmt.Sprint(base)
	case 1:
		var b strings.Builder
		b.WriteString(base)
		return b.String()
	case 2:
		return string([]byte(base))
	case 3:
		return ("<<" + base + ">>")[2 : 2+len(base)]
	}
	return (base + "less")[:len(base)]
}

// TestAttrVerdictRuntimeKeysUnderChurn looks up keys built at run time from
// many goroutines, each key in fresh memory that the garbage collector,
// run meanwhile, frees and hands out again; far more keys than the address
// table has slots, so that keys share slots and replace one another while
// others read: every lookup returns the verdict of a redactor without a
// cache for that key.
func TestAttrVerdictRuntimeKeysUnderChurn(t *testing.T) {
	bases := []string{"password", "pathname", "", "token", "tokens", "Bearer " + secretBearer, "apiKey", "api", "k"}
	oracle := NewRedactor(defaultsWith(func(o *Options) { o.KeyCacheSize = 0 }))
	want := make(map[string]keyVerdict, 2*len(bases))
	for _, b := range append(bases[:len(bases):len(bases)], prefixes(bases)...) {
		var tl tally
		v := *oracle.verdict(b, &tl)
		v.key, v.hits = "", patternHits{}
		want[b] = v
	}
	x := NewRedactor(DefaultOptions())
	const goroutines, perGoroutine = 6, 3000
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 20 {
			runtime.GC()
		}
	})
	for g := range goroutines {
		wg.Go(func() {
			var tl tally
			for i := range perGoroutine {
				base := bases[(g+i)%len(bases)]
				key := runtimeKey(base, i/len(bases))
				_ = x.attrVerdict(key, &tl)
				if i%2 == 1 {
					// A prefix of a key looked up before: the same
					// address, another length.
					key = key[:len(key)*2/3]
					base = base[:len(base)*2/3]
				}
				got := *x.attrVerdict(key, &tl)
				if got.key != "" && got.key != base {
					t.Errorf("verdict for %q holds key %q", base, got.key)
					return
				}
				got.key, got.hits = "", patternHits{}
				if got != want[base] {
					t.Errorf("verdict for %q = %+v, want %+v", base, got, want[base])
					return
				}
			}
		})
	}
	wg.Wait()
}

// prefixes returns the first two thirds of each key.
func prefixes(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k[:len(k)*2/3]
	}
	return out
}
