package handler

import (
	"log/slog"
	"slices"
	"sync"
)

// encodeState is the scratch space for rendering one record (or one
// WithAttrs call). It mirrors the state slog's built-in handlers keep per
// record, so that separators, groups and ReplaceAttr calls come out the same.
//
// An encodeState lives on the stack of Handle; only its byte buffer and
// groups slice come from pools, so no per-record state is allocated. The
// value encoders append to a local copy of buf and store it back once per
// attribute, which keeps GC write barriers (paid on pointer stores while a
// collection runs) to a few per record.
type encodeState struct {
	h   *JSONHandler
	buf []byte
	// sep reports whether a comma goes before the next key.
	sep bool
	// track reports whether opened groups are recorded in groups for
	// ReplaceAttr. It is off while the built-in attributes are written,
	// as in slog, which passes them (and everything nested in them) a nil
	// groups slice.
	track  bool
	groups []string
	// groupsBox is the pooled holder of groups, if one was taken.
	groupsBox *[]string
	// cacheTime is set while the record's own time is written: it may
	// refresh the cache of formatted seconds.
	cacheTime bool

	// The record's own attributes (set by beginRecord): attrsStart is where
	// the groups opened for them start in buf, or -1 if the record has
	// none; attrsEmpty reports whether all so far were elided;
	// nOpenGroups is how many groups endRecord closes.
	attrsStart  int
	attrsEmpty  bool
	nOpenGroups int
}

const (
	// initialBufferSize is the capacity a new pooled buffer starts with:
	// large enough for a typical access-log record.
	initialBufferSize = 1 << 10
	// maxPooledBufferSize bounds the buffers kept in the pool, so that one
	// huge record does not pin its buffer for the life of the process.
	maxPooledBufferSize = 64 << 10
	// maxPooledGroups bounds the group-name slices kept in the pool.
	maxPooledGroups = 64
	// maxPooledEncoderSize bounds the json.Encoder buffer kept in the pool,
	// the same bound slog uses for its encoders.
	maxPooledEncoderSize = 16 << 10
)

var (
	bufPool = sync.Pool{New: func() any {
		b := make([]byte, 0, initialBufferSize)
		return &b
	}}
	groupsPool = sync.Pool{New: func() any {
		g := make([]string, 0, 10)
		return &g
	}}
)

// handleRecord renders r for h into a pooled buffer and writes the bytes,
// newline included, with one Write call.
func (h *JSONHandler) handleRecord(r *slog.Record) error {
	bp := bufPool.Get().(*[]byte)
	s := encodeState{h: h, buf: (*bp)[:0]}
	if h.opts.ReplaceAttr != nil {
		s.groupsBox = groupsPool.Get().(*[]string)
		s.groups = append((*s.groupsBox)[:0], h.groups[:h.nOpenGroups]...)
	}
	s.appendRecord(r)
	err := h.write(s.buf)
	if cap(s.buf) <= maxPooledBufferSize {
		*bp = s.buf[:0]
		bufPool.Put(bp)
	}
	if s.groupsBox != nil && cap(s.groups) <= maxPooledGroups {
		clear(s.groups)
		*s.groupsBox = s.groups[:0]
		groupsPool.Put(s.groupsBox)
	}
	return err
}

// appendRecord renders r, newline included, into s.buf.
//
// It does not ask r.NumAttrs whether the record has attributes (a method
// of slog.Record's value, which copies the whole record): a record without
// any is rendered as one whose attributes were all elided, which endRecord
// writes the same way, without the groups opened for them.
func (s *encodeState) appendRecord(r *slog.Record) {
	s.beginRecord(r, r.Message, true)
	r.Attrs(func(a slog.Attr) bool {
		s.recordAttr(a)
		return true
	})
	s.endRecord()
}

// beginRecord writes the opening brace, the built-in attributes of a record
// with r's time, level and PC and the message msg, the preformatted
// WithAttrs output and, if hasAttrs says the record has attributes of its
// own, the groups from WithGroup not yet opened. The record's attributes
// follow with recordAttr; endRecord closes the line.
func (s *encodeState) beginRecord(r *slog.Record, msg string, hasAttrs bool) {
	s.buf = append(s.buf, '{')
	if s.h.opts.ReplaceAttr == nil {
		s.appendBuiltInsFast(r, msg)
	} else {
		s.appendBuiltInsReplaced(r, msg)
		s.track = true
	}
	h := s.h
	if pfa := h.preformatted; len(pfa) > 0 {
		if s.sep {
			s.buf = append(s.buf, ',')
		}
		s.buf = append(s.buf, pfa...)
		s.sep = pfa[len(pfa)-1] != '{'
	}
	// If the record has no attributes, open no groups. If it has some but
	// all of them are elided, endRecord removes the groups opened for them.
	s.nOpenGroups = h.nOpenGroups
	s.attrsStart = -1
	if hasAttrs {
		s.attrsStart = len(s.buf)
		s.openGroups()
		s.nOpenGroups = len(h.groups)
		s.attrsEmpty = true
	}
}

// recordAttr appends one of the record's own attributes.
//
// Without ReplaceAttr, an attribute of a scalar kind (neither Any, a group
// nor a LogValuer) is never elided nor rewritten: it is written here
// directly, key and value, without the general path's checks.
func (s *encodeState) recordAttr(a slog.Attr) {
	if kind := a.Value.Kind(); isScalarKind(kind) && s.h.opts.ReplaceAttr == nil {
		b := appendAttrKey(s.buf, s.sep, a.Key)
		s.buf = appendJSONValue(b, kind, a.Value, false)
		s.sep = true
		s.attrsEmpty = false
		return
	}
	if s.appendAttr(a) {
		s.attrsEmpty = false
	}
}

// isScalarKind reports whether k is the kind of a value written as one
// JSON scalar: Bool, Duration, Float64, Int64, String, Time or Uint64.
func isScalarKind(k slog.Kind) bool {
	return k >= slog.KindBool && k <= slog.KindUint64
}

// endRecord removes the groups opened for the record's attributes if all
// of them were elided, then closes the open groups and the object and
// appends the newline.
func (s *encodeState) endRecord() {
	if s.attrsStart >= 0 && s.attrsEmpty {
		s.buf = s.buf[:s.attrsStart]
		s.nOpenGroups = s.h.nOpenGroups
	}
	for range s.nOpenGroups {
		s.buf = append(s.buf, '}')
	}
	s.buf = append(s.buf, '}', '\n')
}

// appendBuiltInsFast writes time, level, source and msg when there is no
// ReplaceAttr to consult.
func (s *encodeState) appendBuiltInsFast(r *slog.Record, msg string) {
	b := s.buf
	if !r.Time.IsZero() {
		b = append(b, `"time":`...)
		b = appendJSONTime(b, r.Time, true)
		b = append(b, `,"level":`...)
	} else {
		b = append(b, `"level":`...)
	}
	b = appendJSONLevel(b, r.Level)
	if s.h.opts.AddSource {
		if e := lookupSource(r.PC); e != nil && e.json != nil {
			b = append(b, `,"source":`...)
			b = append(b, e.json...)
		}
	}
	b = append(b, `,"msg":`...)
	s.buf = appendJSONString(b, msg)
	s.sep = true
}

// appendBuiltInsReplaced writes time, level, source and msg through
// ReplaceAttr, exactly as slog does: as ordinary attributes, outside any
// group, with group tracking off.
func (s *encodeState) appendBuiltInsReplaced(r *slog.Record, msg string) {
	if !r.Time.IsZero() {
		s.cacheTime = true
		s.appendAttr(slog.Time(slog.TimeKey, r.Time.Round(0)))
		s.cacheTime = false
	}
	s.appendAttr(slog.Any(slog.LevelKey, r.Level))
	if s.h.opts.AddSource {
		src := new(slog.Source)
		if e := lookupSource(r.PC); e != nil {
			*src = e.src
		}
		s.appendAttr(slog.Any(slog.SourceKey, src))
	}
	s.appendAttr(slog.String(slog.MessageKey, msg))
}

// openGroups opens the groups from WithGroup not yet opened in the
// preformatted attributes.
func (s *encodeState) openGroups() {
	for _, name := range s.h.groups[s.h.nOpenGroups:] {
		s.openGroup(name)
	}
}

// openGroup writes the key of a nested object and its opening brace.
func (s *encodeState) openGroup(name string) {
	s.appendKey(name)
	s.buf = append(s.buf, '{')
	s.sep = false
	if s.track {
		s.groups = append(s.groups, name)
	}
}

// closeGroup writes the closing brace of the innermost open group.
func (s *encodeState) closeGroup() {
	s.buf = append(s.buf, '}')
	s.sep = true
	if s.track {
		s.groups = s.groups[:len(s.groups)-1]
	}
}

// appendAttrs appends as and reports whether anything was appended.
func (s *encodeState) appendAttrs(as []slog.Attr) bool {
	nonEmpty := false
	for _, a := range as {
		if s.appendAttr(a) {
			nonEmpty = true
		}
	}
	return nonEmpty
}

// appendAttr resolves a, passes it through ReplaceAttr unless it is a
// group, and appends it unless it is empty. It reports whether something
// was appended (an empty group counts, as in slog).
func (s *encodeState) appendAttr(a slog.Attr) bool {
	kind := a.Value.Kind()
	if kind == slog.KindLogValuer {
		a.Value = a.Value.Resolve()
		kind = a.Value.Kind()
	}
	if rep := s.h.opts.ReplaceAttr; rep != nil && kind != slog.KindGroup {
		var gs []string
		if s.track {
			gs = s.groups
		}
		a = rep(gs, a)
		// ReplaceAttr may return an unresolved value.
		kind = a.Value.Kind()
		if kind == slog.KindLogValuer {
			a.Value = a.Value.Resolve()
			kind = a.Value.Kind()
		}
	}
	if kind == slog.KindAny {
		v := a.Value.Any()
		if v == nil && a.Key == "" {
			return false // the empty Attr
		}
		if src, ok := v.(*slog.Source); ok {
			if src == nil || *src == (slog.Source{}) {
				return false
			}
			a.Value = sourceGroup(src)
			kind = slog.KindGroup
		}
	}
	if kind != slog.KindGroup {
		b := appendAttrKey(s.buf, s.sep, a.Key)
		s.buf = appendJSONValue(b, kind, a.Value, s.cacheTime)
		s.sep = true
		return true
	}
	attrs := a.Value.Group()
	if len(attrs) == 0 {
		return true
	}
	// The group may turn out empty even though it has attributes
	// (ReplaceAttr may remove them all); then take back what was written.
	// As in slog, the separator state and the tracked group name are
	// not restored.
	pos := len(s.buf)
	if a.Key != "" {
		s.openGroup(a.Key)
	}
	if !s.appendAttrs(attrs) {
		s.buf = s.buf[:pos]
		return false
	}
	if a.Key != "" {
		s.closeGroup()
	}
	return true
}

// appendKey writes the separator if one is due, then key and a colon.
func (s *encodeState) appendKey(key string) {
	s.buf = appendAttrKey(s.buf, s.sep, key)
	s.sep = true
}

// maxPlainKey bounds the keys appendAttrKey writes in one piece; longer
// ones take the general path (their copy dominates anyway).
const maxPlainKey = 64

// appendAttrKey appends a comma if sep is set, then key as a JSON string
// and a colon. A short key that needs no escaping, as nearly every key is,
// is written with one capacity check.
func appendAttrKey(b []byte, sep bool, key string) []byte {
	if len(key) > maxPlainKey || safePrefixLen(key) != len(key) {
		if sep {
			b = append(b, ',')
		}
		b = appendJSONString(b, key)
		return append(b, ':')
	}
	n := len(b)
	b = slices.Grow(b, len(key)+4)
	if sep {
		b = b[:n+1]
		b[n] = ','
		n++
	}
	b = b[:n+len(key)+3]
	b[n] = '"'
	copy(b[n+1:], key)
	b[n+1+len(key)] = '"'
	b[n+2+len(key)] = ':'
	return b
}
