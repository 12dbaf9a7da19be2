package redact

import (
	"encoding/base64"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// minBase64Body is the length of the shortest JSON string read as the
// base64 encoding of a body: 8 characters, at least 4 bytes.
const minBase64Body = 8

// decodeBuffers holds buffers for decoded bodies; one larger than
// maxPooledBuffer is not kept.
var decodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

func putDecodeBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		decodeBuffers.Put(b)
	}
}

// base64Body masks s, a JSON string value, when it is what encoding/json
// writes for a []byte (standard base64 with padding) and it decodes to
// text (valid UTF-8 without control characters other than tab, line feed
// and carriage return; binary data is left alone, as key=value shapes turn
// up by chance in random bytes): the decoded text is masked as a body (JSON as JSON, anything else
// as text; see body) and, when something is masked, s is replaced by the
// standard base64 encoding of the masked body, so that a reader still gets
// base64, of what is safe to show. Anything else is left to the caller.
func (x *Redactor) base64Body(s string, t *tally, depth int) (string, bool) {
	if !isStdBase64(s) {
		return s, false
	}
	buf := decodeBuffers.Get().(*[]byte)
	defer putDecodeBuffer(buf)
	if need := base64.StdEncoding.DecodedLen(len(s)); cap(*buf) < need {
		*buf = make([]byte, need)
	}
	dst := (*buf)[:cap(*buf)]
	n, err := base64.StdEncoding.Decode(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
	if err != nil || n == 0 || !isText(dst[:n]) {
		return s, false
	}
	masked, changed := x.body(unsafe.String(&dst[0], n), t, depth)
	if !changed {
		return s, false
	}
	return base64.StdEncoding.EncodeToString(unsafe.Slice(unsafe.StringData(masked), len(masked))), true
}

// isStdBase64 reports whether s has the shape encoding/json gives a []byte
// of at least 4 bytes: standard-alphabet base64, a multiple of 4 long, with
// '=' padding only at the end.
func isStdBase64(s string) bool {
	if len(s) < minBase64Body || len(s)%4 != 0 {
		return false
	}
	body := len(s)
	switch {
	case s[len(s)-2] == '=':
		body -= 2
		if s[len(s)-1] != '=' {
			return false
		}
	case s[len(s)-1] == '=':
		body--
	}
	for i := 0; i < body; i++ {
		if !isStdBase64Char(s[i]) {
			return false
		}
	}
	return true
}

// isStdBase64Char reports whether c is in the standard base64 alphabet.
func isStdBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// isText reports whether b is valid UTF-8 without control characters other
// than tab, line feed and carriage return.
func isText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}
