package scope

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"sync"

	"github.com/slogstack/slogstack/internal/reqscope"
)

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
// context ctx is (opened by Start or by the HTTP middleware of httpctx), or
// "" when ctx carries no scope (or is nil).
func CorrelationID(ctx context.Context) string {
	if s := reqscope.FromContext(ctx); s != nil {
		return s.CorrelationID()
	}
	return ""
}
