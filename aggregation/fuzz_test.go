package aggregation

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzGroupKey checks the group key encoding: records that a JSON handler
// writes differently never get the same encoding (so they are never folded
// together), and the encoding of a record does not depend on anything but
// the record.
func FuzzGroupKey(f *testing.F) {
	f.Add("Connection pool size", "size", "10", "size", "10", int64(1), int64(1), "g", true)
	f.Add("m", "a", "b", "ab", "", int64(0), int64(0), "", false)
	f.Add("m", "k", "\x00", "k", "\u0000", int64(-1), int64(1), "\xff", true)
	f.Fuzz(func(t *testing.T, msg, k1, v1, k2, v2 string, n1, n2 int64, group string, nest bool) {
		mk := func(k, v string, n int64) slog.Record {
			r := slog.NewRecord(time.Time{}, slog.LevelInfo, msg, 0)
			if nest {
				r.AddAttrs(slog.Group(group, slog.String(k, v)), slog.Int64("n", n))
			} else {
				r.AddAttrs(slog.String(k, v), slog.Int64("n", n))
			}
			return r
		}
		a, b := mk(k1, v1, n1), mk(k2, v2, n2)
		ka := appendRecordKey(nil, a.Level, a.Message, "", a)
		kb := appendRecordKey(nil, b.Level, b.Message, "", b)
		if again := appendRecordKey(nil, a.Level, a.Message, "", a); !bytes.Equal(ka, again) {
			t.Fatalf("encoding not deterministic: %q vs %q", ka, again)
		}
		ja, jb := render(t, a), render(t, b)
		if bytes.Equal(ka, kb) && !bytes.Equal(ja, jb) {
			t.Fatalf("same key for different records:\n%s\n%s", ja, jb)
		}
		h1a, h2a := keyHashes(ka)
		h1b, h2b := keyHashes(kb)
		if !bytes.Equal(ka, kb) && h1a == h1b && h2a == h2b {
			t.Fatalf("both hashes collide for %q and %q", ka, kb)
		}
	})
}

// render writes r with slog.JSONHandler.
func render(t *testing.T, r slog.Record) []byte {
	var buf bytes.Buffer
	if err := slog.NewJSONHandler(&buf, nil).Handle(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzSummary checks the copy held for a summary: for any message and
// values, the summary is valid JSON, stays under 16 KiB, cut values stay
// valid UTF-8 when they were, and nothing panics.
func FuzzSummary(f *testing.F) {
	f.Add("Connection pool size", "size", "10", []byte("x"), 0, 0)
	f.Add("m\xff", "k", "é\u2028\x01", []byte{0xff}, 3, 40)
	f.Add(string(bytes.Repeat([]byte("\x01"), 5000)), "k", string(bytes.Repeat([]byte("é"), 9000)), bytes.Repeat([]byte{1}, 5000), 1, 1)
	f.Fuzz(func(t *testing.T, msg, key, val string, raw []byte, maxValue, maxAttr int) {
		r := slog.NewRecord(time.Time{}, slog.LevelDebug, msg, 0)
		for i := range 20 {
			r.AddAttrs(slog.String(key, val), slog.Any("raw", raw), slog.Group("g", slog.Int("i", i), slog.String(key, val)))
		}
		// Any bounds, even nonsense ones, must not break the copy; zero or
		// negative ones stand for the defaults, as in Options.
		defaults := maxValue <= 0 || maxAttr <= 0
		fr := freeze(r, maxValue%4096, maxAttr%(16<<10))
		if defaults {
			fr = freeze(r, defaultMaxValueBytes, defaultMaxAttrBytes)
		}
		s := &summary{ctx: t.Context(), rec: fr, count: 3}
		var buf bytes.Buffer
		h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		if err := h.Handle(t.Context(), s.record(time.Time{}, defaultWindow)); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("invalid JSON: %s", buf.Bytes())
		}
		if defaults {
			if buf.Len() >= 16<<10 {
				t.Fatalf("summary is %d bytes with the default bounds", buf.Len())
			}
		}
		for i, a := range fr.attrs {
			// Attributes are kept in order, none skipped before the last:
			// every third is raw, whose cut text is valid only if raw was.
			valid := utf8.ValidString(val) && (i%3 != 1 || utf8.Valid(raw))
			if a.Value.Kind() == slog.KindString && valid && !utf8.ValidString(a.Value.String()) {
				t.Fatalf("cut made invalid UTF-8: %q", a.Value.String())
			}
		}
	})
}

// FuzzPruneJSON checks the cut of a structured value too long for a
// summary: for any input and limit it never panics; an object or array
// comes out as plain values whose JSON is valid and within the limit (plus
// the ellipsis of one cut string per level), and a document that fits
// comes out whole.
func FuzzPruneJSON(f *testing.F) {
	f.Add([]byte(`{"password":"hunter2","n":[1,2,{"a":null}],"t":true}`), 16)
	f.Add([]byte(`[1,"é€",{"k":"v"}]`), 5)
	f.Add([]byte(`{"a":`), 100)
	f.Add([]byte(`"just a string"`), 3)
	f.Fuzz(func(t *testing.T, js []byte, limit int) {
		limit = max(limit%4096, 0)
		v, n, isDoc := pruneJSON(js, limit)
		if !isDoc {
			return
		}
		out := encodeJSON(t, v)
		if len(out) > limit+64 {
			t.Fatalf("pruned to %d bytes (estimated %d), limit %d: %s", len(out), n, limit, out)
		}
		// A document fits when it is well within the limit both as read
		// (duplicate keys included, which decoding merges) and as the
		// handlers write it (invalid UTF-8 replaced, which can triple a
		// string).
		var whole any
		if len(js) < limit/2 && json.Unmarshal(js, &whole) == nil && len(encodeJSON(t, whole)) < limit/2 {
			var got any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(t, js), got) {
				t.Fatalf("document that fits was cut: %s -> %s", js, out)
			}
		}
	})
}

// encodeJSON is v's JSON as the handlers encode it: HTML characters
// unescaped.
func encodeJSON(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("pruned value does not marshal: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// normalize decodes js as encoding/json does after a round trip.
func normalize(t *testing.T, js []byte) any {
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
