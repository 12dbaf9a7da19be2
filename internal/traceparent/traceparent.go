package traceparent

import "go.opentelemetry.io/otel/trace"

// Parse parses the value of a W3C Trace Context traceparent
// header ("00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>") and
// returns it as a remote span context.
//
// It follows the W3C rules: hexadecimal digits must be lower case; the
// version "ff" is invalid; version "00" is exactly 55 characters; a later
// version may be longer, provided the character after the flags is '-'
// (its extra fields are ignored); the trace ID and the parent ID must not be
// all zeros. For anything else it returns the zero SpanContext and false.
// Only the sampled bit of the flags is kept. It never panics and does not
// allocate.
func Parse(v string) (trace.SpanContext, bool) {
	const size = 55 // 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(v) < size {
		return trace.SpanContext{}, false
	}
	var ver [1]byte
	if !DecodeLowerHex(ver[:], v[0:2]) || ver[0] == 0xff {
		return trace.SpanContext{}, false
	}
	if ver[0] == 0 && len(v) != size {
		return trace.SpanContext{}, false
	}
	if len(v) > size && v[size] != '-' {
		return trace.SpanContext{}, false
	}
	if v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return trace.SpanContext{}, false
	}
	var tid trace.TraceID
	var sid trace.SpanID
	var flags [1]byte
	if !DecodeLowerHex(tid[:], v[3:35]) || !DecodeLowerHex(sid[:], v[36:52]) || !DecodeLowerHex(flags[:], v[53:55]) {
		return trace.SpanContext{}, false
	}
	if !tid.IsValid() || !sid.IsValid() {
		return trace.SpanContext{}, false
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     sid,
		TraceFlags: trace.TraceFlags(flags[0]) & trace.FlagsSampled,
		Remote:     true,
	})
	return sc, true
}

// DecodeLowerHex decodes s, which must be 2*len(dst) lower-case hexadecimal
// digits, into dst, and reports whether it could (dst may be partly
// written when it could not).
func DecodeLowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := lowerHexVal(s[2*i])
		lo, ok2 := lowerHexVal(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func lowerHexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
