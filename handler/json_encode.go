package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// appendValue writes v, which is resolved and not a group, as a JSON value.
func (s *encodeState) appendValue(v slog.Value) {
	switch v.Kind() {
	case slog.KindString:
		s.appendString(v.String())
	case slog.KindInt64:
		s.buf = strconv.AppendInt(s.buf, v.Int64(), 10)
	case slog.KindUint64:
		s.buf = strconv.AppendUint(s.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		s.appendFloat(v.Float64())
	case slog.KindBool:
		s.buf = strconv.AppendBool(s.buf, v.Bool())
	case slog.KindDuration:
		// As encoding/json does: integer nanoseconds.
		s.buf = strconv.AppendInt(s.buf, int64(v.Duration()), 10)
	case slog.KindTime:
		s.appendTime(v.Time())
	default:
		s.appendAny(v)
	}
}

// appendAny writes a value of kind Any: an error (that is not a
// json.Marshaler) as its Error text, anything else as encoding/json would.
// A panic in an Error or MarshalJSON method is written as slog writes it.
func (s *encodeState) appendAny(v slog.Value) {
	defer func() {
		if r := recover(); r != nil {
			// As slog (adapted from fmt): a nil pointer whose method does
			// not guard against nil prints as "<nil>".
			if rv := reflect.ValueOf(v.Any()); rv.Kind() == reflect.Pointer && rv.IsNil() {
				s.appendString("<nil>")
				return
			}
			s.appendString(fmt.Sprintf("!PANIC: %v", r))
		}
	}()
	switch a := v.Any().(type) {
	case nil:
		s.buf = append(s.buf, "null"...)
		return
	case slog.Level:
		// Level.MarshalJSON quotes Level.String, whose output needs no
		// escaping.
		s.appendString(a.String())
		return
	}
	a := v.Any()
	_, isMarshaler := a.(json.Marshaler)
	if err, ok := a.(error); ok && !isMarshaler {
		s.appendString(err.Error())
		return
	}
	if err := s.appendMarshal(a); err != nil {
		s.appendError(err)
	}
}

// appendMarshal appends the encoding/json encoding of v, with HTML
// escaping off, or returns the encoder's error having appended nothing.
func (s *encodeState) appendMarshal(v any) error {
	if s.enc == nil {
		s.encBuf = new(bytes.Buffer)
		s.enc = json.NewEncoder(s.encBuf)
		s.enc.SetEscapeHTML(false)
	}
	s.encBuf.Reset()
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	b := s.encBuf.Bytes()
	s.buf = append(s.buf, b[:len(b)-1]...) // drop the encoder's newline
	return nil
}

// appendError writes an encoding failure as slog does: a string
// "!ERROR:" followed by the error text.
func (s *encodeState) appendError(err error) {
	s.appendString(fmt.Sprintf("!ERROR:%v", err))
}

// appendFloat writes f as encoding/json does (ES6 number formatting). NaN
// and the infinities, which JSON cannot represent, go through
// encoding/json itself so that the "!ERROR:" text is its own.
func (s *encodeState) appendFloat(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if err := s.appendMarshal(f); err != nil {
			s.appendError(err)
		}
		return
	}
	s.buf = appendJSONFloat(s.buf, f)
}

// appendJSONFloat appends a finite f formatted as encoding/json formats a
// float64.
func appendJSONFloat(b []byte, f float64) []byte {
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

// appendLevel writes l as a JSON string, as slog.Level.String spells it.
func (s *encodeState) appendLevel(l slog.Level) {
	switch l {
	case slog.LevelDebug:
		s.buf = append(s.buf, `"DEBUG"`...)
	case slog.LevelInfo:
		s.buf = append(s.buf, `"INFO"`...)
	case slog.LevelWarn:
		s.buf = append(s.buf, `"WARN"`...)
	case slog.LevelError:
		s.buf = append(s.buf, `"ERROR"`...)
	default:
		s.appendString(l.String())
	}
}

// appendString writes str as a quoted JSON string.
func (s *encodeState) appendString(str string) {
	s.buf = append(s.buf, '"')
	s.buf = appendEscapedJSONString(s.buf, str)
	s.buf = append(s.buf, '"')
}

// appendEscapedJSONString appends str escaped exactly as slog.JSONHandler
// escapes strings (encoding/json with HTML escaping off): '"', '\\' and
// control characters are escaped (\n, \r, \t by name, the rest as \u00XX),
// invalid UTF-8 becomes \ufffd, and U+2028 and U+2029 are written as
// \u2028 and \u2029. It does not add the quotation marks.
func appendEscapedJSONString(buf []byte, str string) []byte {
	// Fast path: a run of bytes that need no escaping is copied at once.
	i := 0
	for i < len(str) && safeASCII[str[i]] {
		i++
	}
	if i == len(str) {
		return append(buf, str...)
	}
	start := 0
	for i < len(str) {
		b := str[i]
		if b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
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
