package redact

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// TestAddrEntryMatchesOnlyItsKey checks that an address-table entry gives
// its verdict to its key, at any address (a copy, the bytes of a freed key
// reused), and to no other: not to a prefix or an extension of it, not to
// other bytes at the same address.
func TestAddrEntryMatchesOnlyItsKey(t *testing.T) {
	key := strings.Clone("password")
	v := &keyVerdict{key: key, secret: true}
	var e addrEntry
	e.store(v)
	buf := []byte("password")
	reused := unsafe.String(&buf[0], len(buf))
	if got := e.load(reused); got != v {
		t.Errorf("load(%q) = %+v, want %+v", reused, got, v)
	}
	copy(buf, "pathname") // the bytes of a key, reused for another
	tests := []struct {
		name string
		key  string
		want *keyVerdict
	}{
		{"the same string", key, v},
		{"a copy of it", strings.Clone(key), v},
		{"a prefix of it", key[:4], nil},
		{"a suffix of it", key[4:], nil},
		{"an extension of it", key + "s", nil},
		{"other bytes at an address it was seen at", reused, nil},
		{"another key", "path", nil},
		{"the empty key", "", nil},
	}
	for _, tt := range tests {
		if got := e.load(tt.key); got != tt.want {
			t.Errorf("%s: load(%q) = %+v, want %+v", tt.name, tt.key, got, tt.want)
		}
	}
}

// TestAddrEntryConcurrentStores makes goroutines store two keys with
// opposite verdicts into one entry while others load it: a load returns
// nil or the verdict of the key it was asked for, never the other's.
func TestAddrEntryConcurrentStores(t *testing.T) {
	secret := strings.Clone("password")
	safe := strings.Clone("pathname")
	vs := map[string]*keyVerdict{secret: {key: secret, secret: true}, safe: {key: safe}}
	var e addrEntry
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			k := []string{secret, safe}[g%2]
			for range 20000 {
				if g < 2 {
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

// TestAttrKeysFromChangingBuffer logs records whose keys are built from one
// buffer overwritten between records: each record is judged by its own
// keys, and the cache is counted once per key.
func TestAttrKeysFromChangingBuffer(t *testing.T) {
	rec := &attrsRecorder{}
	h := NewHandler(rec, DefaultOptions())
	buf := []byte("password")
	keys := []string{"password", "pathname", "password", "username"}
	for i, k := range keys {
		copy(buf, k)
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.String(string(buf), "v"))
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		want := "v"
		if k == "password" {
			want = defaultReplacement
		}
		if diff := cmp.Diff([]slog.Attr{slog.String(k, want)}, rec.attrs); diff != "" {
			t.Errorf("record %d (-want +got):\n%s", i, diff)
		}
	}
	if s := h.Stats(); s.KeyCacheHits+s.KeyCacheMisses != uint64(len(keys)) || s.KeyCacheMisses != 3 {
		t.Errorf("cache hits %d, misses %d; want %d lookups, 3 misses", s.KeyCacheHits, s.KeyCacheMisses, len(keys))
	}
}
