package redact

import (
	"strings"
	"sync"
	"testing"
)

// TestAddrEntryNoTornRead makes half of the goroutines store keys of one
// length, each with its own verdict, into one entry as fast as they can,
// while the others load them: a load returns nil or the verdict stored
// with the very key it was asked for, never a verdict stored beside
// another key (a read torn between two stores).
func TestAddrEntryNoTornRead(t *testing.T) {
	keys := make([]string, 16)
	vs := make(map[string]*keyVerdict, len(keys))
	for i := range keys {
		keys[i] = strings.Clone(string(rune('a'+i)) + "-key")
		vs[keys[i]] = &keyVerdict{key: keys[i]}
	}
	iterations := 2000000
	if testing.Short() || raceEnabled {
		iterations = 50000
	}
	var e addrEntry
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range iterations {
				k := keys[(g+i)%len(keys)]
				if g%2 == 0 {
					e.store(vs[k])
				} else if v := e.load(k); v != nil && v != vs[k] {
					t.Errorf("load(%q) returned the verdict of %q", k, v.key)
					return
				}
			}
		})
	}
	wg.Wait()
}
