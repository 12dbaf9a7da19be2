package sampling

import "github.com/cespare/xxhash/v2"

// two64 is 2^64 as a float64 (exactly representable).
const two64 = 18446744073709551616.0

// Decide reports whether the unit of work with the given key (a
// correlation ID) is sampled at rate: true iff xxhash64(key) < rate * 2^64,
// with XXH64 at seed 0 over the key's bytes.
//
// A rate >= 1 always samples and a rate <= 0 (or NaN) never does; there is no
// overflow at either edge. The answer depends on nothing but key and rate, so
// it is the same in every goroutine, process, machine and release: services
// that forward a correlation ID sample the same requests. It is monotone in
// rate: a key sampled at r1 is sampled at every r2 >= r1.
func Decide(key string, rate float64) bool {
	if !(rate > 0) { // also catches NaN
		return false
	}
	t := rate * two64
	if t >= two64 {
		return true
	}
	return xxhash.Sum64String(key) < uint64(t)
}
