package aggregation

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/cespare/xxhash/v2"
)

// The group key of a record is the canonical encoding of everything that
// makes its output differ from another record's: the With/WithGroup chain of
// the handler it was logged on, its level, message, the correlation ID of
// its request scope and its attributes. The encoding is injective (every
// string is length-prefixed, every value tagged with its kind), so equal
// encodings mean equal records. It is hashed twice with independent seeds:
// the first hash indexes the cache, the second guards against the first
// colliding, and only the two 64-bit hashes are kept.

// Tags of the canonical encoding.
const (
	tagAttr     byte = 'a'
	tagGroup    byte = 'g' // WithGroup in the chain
	tagOpen     byte = '{' // a group value opens
	tagClose    byte = '}' // a group value closes
	tagRecord   byte = 'r' // level, message and correlation ID follow
	tagError    byte = 'e'
	tagAny      byte = 'y'
	tagTime     byte = 't'
	tagString   byte = 's'
	tagInt      byte = 'i'
	tagUint     byte = 'u'
	tagFloat    byte = 'f'
	tagBool     byte = 'b'
	tagDuration byte = 'd'
)

// checkSeed seeds the second hash.
const checkSeed = 0x9e3779b97f4a7c15

// keyHashes returns the two hashes of a canonical encoding.
func keyHashes(b []byte) (h1, h2 uint64) {
	var d xxhash.Digest
	d.ResetWithSeed(checkSeed)
	_, _ = d.Write(b)
	return xxhash.Sum64(b), d.Sum64()
}

// keyStackBytes is the size of the buffer on the stack a group key is
// encoded into; longer keys move to the heap.
const keyStackBytes = 512

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendRecordKey appends the record part of a group key.
func appendRecordKey(b []byte, level slog.Level, msg, correlationID string, r slog.Record) []byte {
	b = append(b, tagRecord)
	b = binary.AppendVarint(b, int64(level))
	b = appendString(b, msg)
	b = appendString(b, correlationID)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, a)
		return true
	})
	return b
}

// appendAttr appends one attribute the way slog's handlers see it: values
// resolved, empty attributes and empty groups skipped, groups with an empty
// key inlined.
func appendAttr(b []byte, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		as := v.Group()
		if len(as) == 0 {
			return b
		}
		if a.Key == "" {
			for _, ga := range as {
				b = appendAttr(b, ga)
			}
			return b
		}
		b = append(b, tagAttr)
		b = appendString(b, a.Key)
		b = append(b, tagOpen)
		for _, ga := range as {
			b = appendAttr(b, ga)
		}
		return append(b, tagClose)
	}
	if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
		return b
	}
	b = append(b, tagAttr)
	b = appendString(b, a.Key)
	return appendValue(b, v)
}

// appendValue appends a resolved value that is not a group.
func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		b = append(b, tagString)
		return appendString(b, v.String())
	case slog.KindInt64:
		b = append(b, tagInt)
		return binary.AppendVarint(b, v.Int64())
	case slog.KindUint64:
		b = append(b, tagUint)
		return binary.AppendUvarint(b, v.Uint64())
	case slog.KindFloat64:
		b = append(b, tagFloat)
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Float64()))
	case slog.KindBool:
		b = append(b, tagBool)
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case slog.KindDuration:
		b = append(b, tagDuration)
		return binary.AppendVarint(b, int64(v.Duration()))
	case slog.KindTime:
		// The text, not the instant: the same instant in two locations
		// is written differently.
		b = append(b, tagTime, 0)
		at := len(b)
		b = v.Time().AppendFormat(b, time.RFC3339Nano)
		// The text is always shorter than 128 bytes, so its length is one
		// uvarint byte.
		b[at-1] = byte(len(b) - at)
		return b
	default:
		return appendAny(b, v.Any())
	}
}

// appendAny appends a value of kind Any: an error by its text, anything
// else by its type, its %+v text and its JSON, so that values differing
// only behind a pointer (which %+v prints as an address) still differ. A
// value whose methods panic is encoded by the panic, so a broken value
// never breaks logging.
func appendAny(b []byte, x any) (out []byte) {
	start := len(b)
	defer func() {
		if p := recover(); p != nil {
			out = append(b[:start], tagAny)
			out = appendString(out, fmt.Sprintf("%T!PANIC=%v", x, p))
		}
	}()
	if err, ok := x.(error); ok {
		b = append(b, tagError)
		return appendString(b, err.Error())
	}
	var w bytes.Buffer
	fmt.Fprintf(&w, "%T\x00%+v\x00", x, x)
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		w.WriteString("!ERROR:")
		w.WriteString(err.Error())
	}
	b = append(b, tagAny)
	b = binary.AppendUvarint(b, uint64(w.Len()))
	return append(b, w.Bytes()...)
}
