package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// appendJSONValue appends v, of the given kind, resolved and not a group,
// as slog.JSONHandler writes it. cacheTime is passed on to appendJSONTime.
//
// The encoders are plain functions on a byte slice held by the caller, not
// methods storing into a shared buffer: stores into a heap or pointed-to
// slice header cost a GC write barrier each while a collection runs.
func appendJSONValue(b []byte, kind slog.Kind, v slog.Value, cacheTime bool) []byte {
	switch kind {
	case slog.KindString:
		return appendJSONString(b, v.String())
	case slog.KindInt64:
		return appendInt(b, v.Int64())
	case slog.KindUint64:
		return appendUint(b, v.Uint64())
	case slog.KindFloat64:
		return appendJSONFloat(b, v.Float64())
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		// As encoding/json does: integer nanoseconds.
		return appendInt(b, int64(v.Duration()))
	case slog.KindTime:
		return appendJSONTime(b, v.Time(), cacheTime)
	default:
		return appendJSONAny(b, v)
	}
}

// appendJSONAny appends a value of kind Any: an error (that is not a
// json.Marshaler) as its Error text, anything else as encoding/json would,
// an encoding failure as "!ERROR:<error>". A panic in an Error or
// MarshalJSON method is written as slog writes it: "<nil>" for a nil
// pointer, "!PANIC: <value>" otherwise.
func appendJSONAny(b []byte, v slog.Value) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			// As slog (adapted from fmt): a nil pointer whose method does
			// not guard against nil prints as "<nil>".
			if rv := reflect.ValueOf(v.Any()); rv.Kind() == reflect.Pointer && rv.IsNil() {
				out = appendJSONString(b, "<nil>")
				return
			}
			out = appendJSONString(b, fmt.Sprintf("!PANIC: %v", r))
		}
	}()
	switch a := v.Any().(type) {
	case nil:
		return append(b, "null"...)
	case slog.Level:
		// Level.MarshalJSON quotes Level.String, whose output needs no
		// escaping.
		return appendJSONString(b, a.String())
	}
	a := v.Any()
	_, isMarshaler := a.(json.Marshaler)
	if err, ok := a.(error); ok && !isMarshaler {
		return appendJSONString(b, err.Error())
	}
	if out, ok := appendJSONFast(b, a); ok {
		return out
	}
	return appendJSONMarshal(b, a)
}

// appendJSONMarshal appends the encoding/json encoding of v, with HTML
// escaping off, or, if encoding fails, the error as "!ERROR:<error>".
func appendJSONMarshal(b []byte, v any) []byte {
	j := jsonEncoderPool.Get().(*jsonEncoder)
	defer func() {
		// Keep only small buffers, as slog does, to bound pooled memory.
		if j.buf.Cap() <= maxPooledEncoderSize {
			j.buf.Reset()
			jsonEncoderPool.Put(j)
		}
	}()
	if err := j.enc.Encode(v); err != nil {
		return appendJSONError(b, err)
	}
	enc := j.buf.Bytes()
	return append(b, enc[:len(enc)-1]...) // drop the encoder's newline
}

// jsonEncoder is an encoding/json Encoder with HTML escaping off and the
// buffer it writes to.
type jsonEncoder struct {
	buf *bytes.Buffer
	enc *json.Encoder
}

var jsonEncoderPool = sync.Pool{New: func() any {
	j := &jsonEncoder{buf: new(bytes.Buffer)}
	j.enc = json.NewEncoder(j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}}

// appendJSONError appends an encoding failure as slog does: a string
// "!ERROR:" followed by the error text.
func appendJSONError(b []byte, err error) []byte {
	return appendJSONString(b, fmt.Sprintf("!ERROR:%v", err))
}

// appendJSONFloat appends f formatted as encoding/json formats a float64
// (ES6 number formatting). NaN and the infinities, which JSON cannot
// represent, go through encoding/json itself so that the "!ERROR:" text is
// its own.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendJSONMarshal(b, f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONLevel appends l as a JSON string, spelled as slog.Level.String
// spells it.
func appendJSONLevel(b []byte, l slog.Level) []byte {
	switch l {
	case slog.LevelDebug:
		return append(b, `"DEBUG"`...)
	case slog.LevelInfo:
		return append(b, `"INFO"`...)
	case slog.LevelWarn:
		return append(b, `"WARN"`...)
	case slog.LevelError:
		return append(b, `"ERROR"`...)
	default:
		return appendJSONString(b, l.String())
	}
}

// appendJSONString appends str as a quoted JSON string, escaped as
// appendEscaped (shortBF off) describes.
//
// A string that needs no escaping is written with one capacity check.
func appendJSONString(b []byte, str string) []byte {
	i := safePrefixLen(str)
	if i == len(str) {
		n := len(b)
		b = slices.Grow(b, len(str)+2)
		b = b[:n+len(str)+2]
		b[n] = '"'
		copy(b[n+1:], str)
		b[n+1+len(str)] = '"'
		return b
	}
	b = append(b, '"')
	b = appendEscapedFrom(b, str, i, false)
	return append(b, '"')
}

// appendMarshaledString appends str as encoding/json itself (HTML escaping
// off) writes a string inside a value it marshals: as appendJSONString
// does, except that backspace and form feed are written as \b and \f.
func appendMarshaledString(b []byte, str string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, str, true)
	return append(b, '"')
}

// appendEscaped appends str escaped exactly as slog.JSONHandler escapes
// strings (encoding/json with HTML escaping off), without the quotation
// marks: '"', '\\' and control characters are escaped (\n, \r, \t by
// name, the rest as \u00XX), invalid UTF-8 becomes \ufffd, and U+2028 and
// U+2029 are written as \u2028 and \u2029. shortBF writes backspace and
// form feed as \b and \f instead of \u0008 and \u000c.
func appendEscaped(buf []byte, str string, shortBF bool) []byte {
	// Fast path: a run of bytes that need no escaping is copied at once.
	i := safePrefixLen(str)
	if i == len(str) {
		return append(buf, str...)
	}
	return appendEscapedFrom(buf, str, i, shortBF)
}

// appendEscapedFrom is appendEscaped for a str whose first i bytes are
// known to need no escaping (i is at most safePrefixLen(str)).
func appendEscapedFrom(buf []byte, str string, i int, shortBF bool) []byte {
	start := 0
	for i < len(str) {
		b := str[i]
		if b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
				i += safePrefixLen(str[i:])
				continue
			}
			buf = append(buf, str[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b', '\f':
				if shortBF && b == '\b' {
					buf = append(buf, '\\', 'b')
					break
				}
				if shortBF {
					buf = append(buf, '\\', 'f')
					break
				}
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			default:
				// Other bytes below 0x20.
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(str[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, str[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR are valid in
		// JSON but not in JavaScript; encoding/json escapes them, so does
		// slog.
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, str[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(buf, str[start:]...)
}

const hexDigits = "0123456789abcdef"

// safePrefixLen returns the length of the longest prefix of str made of
// bytes that need no escaping (see safeASCII). It tests eight bytes at a
// time while it can.
func safePrefixLen(str string) int {
	i := 0
	for ; i+8 <= len(str); i += 8 {
		// One bounds check for the word; the compiler combines the byte
		// loads into one unaligned load where the architecture allows it.
		c := str[i : i+8]
		w := uint64(c[0]) | uint64(c[1])<<8 | uint64(c[2])<<16 | uint64(c[3])<<24 |
			uint64(c[4])<<32 | uint64(c[5])<<40 | uint64(c[6])<<48 | uint64(c[7])<<56
		if wordNeedsEscape(w) {
			break
		}
	}
	for i < len(str) && safeASCII[str[i]] {
		i++
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// wordNeedsEscape reports whether any of the 8 bytes in w is below 0x20,
// is '"' or '\\', or is 0x80 or above: whether safeASCII is false for any
// of them. It may not say which; the caller rescans byte by byte.
func wordNeedsEscape(w uint64) bool {
	q := w ^ ('"' * ones)   // zero bytes where w has '"'
	bs := w ^ ('\\' * ones) // zero bytes where w has '\\'
	control := (w - 0x20*ones) &^ w
	quote := (q - ones) &^ q
	backslash := (bs - ones) &^ bs
	return (control|quote|backslash|w)&highs != 0
}

// safeASCII reports, for every byte value, whether it is an ASCII character
// that can appear in a JSON string as it is: everything from 0x20 to 0x7f
// except '"' and '\\'. Bytes from 0x80 up are false: they start multi-byte
// sequences that need checking.
var safeASCII = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// sourceGroup returns the non-zero fields of src as a group value, as
// slog renders a *slog.Source.
func sourceGroup(src *slog.Source) slog.Value {
	as := make([]slog.Attr, 0, 3)
	if src.Function != "" {
		as = append(as, slog.String("function", src.Function))
	}
	if src.File != "" {
		as = append(as, slog.String("file", src.File))
	}
	if src.Line != 0 {
		as = append(as, slog.Int("line", src.Line))
	}
	return slog.GroupValue(as...)
}
