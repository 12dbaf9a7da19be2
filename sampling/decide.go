package sampling

import "github.com/cespare/xxhash/v2"

// two64 is 2^64 as a float64 (exactly representable).
const two64 = 18446744073709551616.0

// Decide reports whether the unit of work with the given key (a
// correlation ID) is sampled at rate: true iff xxhash64(key) < rate * 2^64,
// with XXH64 at seed 0 over the key's bytes, and the comparison exact (the
// integer hash against the real number rate * 2^64, with no rounding).
//
// A rate >= 1 always samples and a rate <= 0 (or NaN) never does; there is no
// overflow at either edge, and a denormal rate samples only keys whose hash
// is 0. The answer depends on nothing but key and rate, so it is the same in
// every goroutine, process, machine and release: services that forward a
// correlation ID sample the same requests. It is monotone in rate: a key
// sampled at r1 is sampled at every r2 >= r1.
func Decide(key string, rate float64) bool {
	return below(xxhash.Sum64String(key), rate)
}

// below reports whether the integer h is less than the real number
// rate * 2^64, exactly.
func below(h uint64, rate float64) bool {
	if !(rate > 0) { // also catches NaN
		return false
	}
	// Multiplying by a power of two is exact in binary floating point, so t
	// is rate * 2^64 with no rounding.
	t := rate * two64
	if t >= two64 {
		return true
	}
	u := uint64(t) // floor(t): t is in [0, 2^64)
	if float64(u) != t {
		// t has a fraction (only possible below 2^52): h < t iff h <= floor(t).
		return h <= u
	}
	return h < u
}
