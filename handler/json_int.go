package handler

import (
	"math/bits"
	"slices"
)

// appendInt appends n in decimal, as strconv.AppendInt(b, n, 10) does.
func appendInt(b []byte, n int64) []byte {
	if n >= 0 {
		return appendUint(b, uint64(n))
	}
	b = append(b, '-')
	return appendUint(b, -uint64(n)) // -uint64 is exact for math.MinInt64 too
}

// appendUint appends u in decimal, as strconv.AppendUint(b, u, 10) does,
// but writing the digits in place, two at a time from the last, after one
// capacity check.
func appendUint(b []byte, u uint64) []byte {
	if u < 10 {
		return append(b, byte('0'+u))
	}
	n := decimalLen(u)
	m := len(b)
	b = slices.Grow(b, n)
	b = b[:m+n]
	d := b[m : m+n]
	i := n
	for u >= 100 {
		q := u / 100
		r := (u - q*100) * 2
		i -= 2
		d[i], d[i+1] = twoDigits[r], twoDigits[r+1]
		u = q
	}
	if u >= 10 {
		d[0], d[1] = twoDigits[u*2], twoDigits[u*2+1]
	} else {
		d[0] = byte('0' + u)
	}
	return b
}

// decimalLen returns the number of decimal digits of u (1 for 0).
func decimalLen(u uint64) int {
	// log10(2) is about 1233/4096: a first estimate from the bit length,
	// one too small at most.
	n := (bits.Len64(u) * 1233) >> 12
	if n < len(powersOf10) && u >= powersOf10[n] {
		n++
	}
	if n == 0 {
		return 1
	}
	return n
}

// powersOf10 holds 10^0 to 10^19, the powers of ten a uint64 can hold.
var powersOf10 = [...]uint64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}
