package httpctx

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"sync"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// MaxCorrelationIDLen is the longest incoming correlation ID accepted.
const MaxCorrelationIDLen = 128

// ValidCorrelationID reports whether id may be used as a correlation ID as
// received: it has 1 to MaxCorrelationIDLen characters, each an ASCII letter,
// digit, '.', '_', ':' or '-'. Anything else (empty, too long, spaces,
// control characters, non-ASCII, quotes, '/', '=') is rejected, so that an
// accepted ID can be echoed into a response header or a log line as is.
func ValidCorrelationID(id string) bool {
	if len(id) == 0 || len(id) > MaxCorrelationIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !idChar[id[i]] {
			return false
		}
	}
	return true
}

// idChar marks the bytes allowed in a correlation ID.
var idChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for _, c := range "._:-" {
		t[c] = true
	}
	return t
}()

// NewCorrelationID returns a new random 128-bit ID as 32 lower-case
// hexadecimal characters.
//
// The bits come from ChaCha8 generators (math/rand/v2) kept in a pool, each
// seeded from crypto/rand when it is created, so a call makes no system call
// and the IDs are unpredictable to anyone who has not seen a generator's
// seed. The all-zero ID is never returned.
func NewCorrelationID() string {
	var b [32]byte
	newCorrelationID(&b)
	return string(b[:])
}

// newCorrelationID writes a new random ID into b.
func newCorrelationID(b *[32]byte) {
	g := idSources.Get().(*rand.ChaCha8)
	var raw [16]byte
	for {
		hi, lo := g.Uint64(), g.Uint64()
		if hi|lo != 0 {
			binary.BigEndian.PutUint64(raw[:8], hi)
			binary.BigEndian.PutUint64(raw[8:], lo)
			break
		}
	}
	idSources.Put(g)
	hex.Encode(b[:], raw[:])
}

// idSources pools ChaCha8 generators. A generator is used by one goroutine
// at a time (between Get and Put), so it needs no lock; generators the pool
// drops are garbage collected and replaced by freshly seeded ones.
var idSources = sync.Pool{New: func() any {
	var seed [32]byte
	// crypto/rand.Read never returns an error and never returns short
	// (it crashes the program if the system has no entropy source).
	_, _ = crand.Read(seed[:])
	return rand.NewChaCha8(seed)
}}

// CorrelationID returns the correlation ID of the request or job whose
// context ctx is (set by Middleware or Start), or "" when ctx carries no
// scope.
func CorrelationID(ctx context.Context) string {
	if s := reqscope.FromContext(ctx); s != nil {
		return s.CorrelationID()
	}
	return ""
}
