package handler

import (
	"errors"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"
)

// errYearOutOfRange is the error slog writes before a time whose year has
// more or fewer than 4 digits in RFC 3339.
var errYearOutOfRange = errors.New("time.Time year outside of range [0,9999]")

// appendJSONTime appends t as slog.JSONHandler writes it: a JSON string in
// time.RFC3339Nano layout (nanoseconds with trailing zeros trimmed, "Z" or
// the zone offset), preceded by an "!ERROR:" string if the year is outside
// [0, 9999].
//
// The date, clock and zone text of the current second is cached per
// location, so that most calls only format the fraction. Only the record's
// own time (refresh set) refreshes the cache: attribute times far from now
// must not evict it, nor allocate.
func appendJSONTime(b []byte, t time.Time, refresh bool) []byte {
	sec, loc := t.Unix(), t.Location()
	slot := &timeCache[timeSlot(loc)]
	if p := slot.Load(); p != nil && p.sec == sec && p.loc == loc {
		b = append(b, '"')
		b = append(b, p.dateTime[:]...)
		b = appendNanoFraction(b, t.Nanosecond())
		b = append(b, p.zone[:p.zoneLen]...)
		return append(b, '"')
	}
	year := t.Year()
	inRange := year >= 0 && year < 10000
	if !inRange {
		b = appendJSONError(b, errYearOutOfRange)
	}
	b = append(b, '"')
	start := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	if refresh && inRange {
		if p := newTimePrefix(sec, loc, b[start:]); p != nil {
			slot.Store(p)
		}
	}
	return append(b, '"')
}

// timePrefix is the cached RFC 3339 text of one second in one location:
// everything but the fraction.
type timePrefix struct {
	sec      int64
	loc      *time.Location
	dateTime [len("2006-01-02T15:04:05")]byte
	zone     [len("-07:00")]byte
	zoneLen  uint8
}

// timeCacheSlots is the number of locations whose current second is cached
// at once; a process usually formats times in one or two (Local, UTC).
const timeCacheSlots = 4

// timeCache holds one immutable timePrefix per slot, replaced, never
// modified, when a time in another second or location is formatted.
var timeCache [timeCacheSlots]atomic.Pointer[timePrefix]

// timeSlot picks the cache slot for a location.
func timeSlot(loc *time.Location) uintptr {
	p := uintptr(unsafe.Pointer(loc))
	return (p>>4 ^ p>>10) % timeCacheSlots
}

// newTimePrefix splits text, the time.RFC3339Nano formatting of a time in
// second sec and location loc whose year has 4 digits, into its cacheable
// parts. It returns nil if text does not have the expected shape.
func newTimePrefix(sec int64, loc *time.Location, text []byte) *timePrefix {
	p := &timePrefix{sec: sec, loc: loc}
	n := copy(p.dateTime[:], text)
	if n != len(p.dateTime) || len(text) == n {
		return nil
	}
	rest := text[n:]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		rest = rest[i:]
	}
	if len(rest) == 0 || len(rest) > len(p.zone) {
		return nil
	}
	p.zoneLen = uint8(copy(p.zone[:], rest))
	return p
}

// appendNanoFraction appends ns (0 to 999999999) as RFC3339Nano does: a
// dot and up to 9 digits with trailing zeros trimmed, or nothing for 0.
// The nine digits are written in place after one capacity check, as two
// independent halves (the first five and the last four digits), and the
// trailing zeros then cut off.
func appendNanoFraction(b []byte, ns int) []byte {
	if ns == 0 {
		return b
	}
	m := len(b)
	b = slices.Grow(b, 10)
	d := b[m : m+10]
	n := uint32(ns)
	hi, lo := n/10000, n%10000 // digits 1-5 and 6-9
	hiHi, hiLo := hi/100, hi%100
	loHi, loLo := lo/100, lo%100
	d[0] = '.'
	d[1] = byte('0' + hiHi/100)
	d[2], d[3] = twoDigits[hiHi%100*2], twoDigits[hiHi%100*2+1]
	d[4], d[5] = twoDigits[hiLo*2], twoDigits[hiLo*2+1]
	d[6], d[7] = twoDigits[loHi*2], twoDigits[loHi*2+1]
	d[8], d[9] = twoDigits[loLo*2], twoDigits[loLo*2+1]
	end := len(d)
	for d[end-1] == '0' {
		end--
	}
	return b[:m+end]
}

// twoDigits holds "00" to "99" back to back.
const twoDigits = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"
