package handler

import (
	"log/slog"
	"sync"

	"github.com/slogstack/slogstack/internal/fuse"
)

// The encoder that this module's own wrappers drive attribute by attribute
// (see internal/fuse): a layer that rewrites attributes hands them to the
// JSONHandler below it one at a time, in its own walk, instead of building
// a new record for it.

func init() {
	fuse.EncoderOf = encoderOf
}

// encoderOf returns the fuse.Encoder of h if h is a *JSONHandler.
func encoderOf(h slog.Handler) (fuse.Encoder, bool) {
	jh, ok := h.(*JSONHandler)
	if !ok || jh == nil {
		return nil, false
	}
	return (*fusedEncoder)(jh), true
}

// fusedEncoder is a JSONHandler seen as a fuse.Encoder. The conversion from
// *JSONHandler allocates nothing.
type fusedEncoder JSONHandler

// fusedLine is one record being written by a fusedEncoder: the encodeState
// Handle would use, pooled with its buffer and groups slice.
type fusedLine struct {
	s encodeState
}

var linePool = sync.Pool{New: func() any {
	return &fusedLine{s: encodeState{buf: make([]byte, 0, initialBufferSize)}}
}}

// Begin starts a line for a record with r's time, level and PC and the
// message msg; see fuse.Encoder.
func (e *fusedEncoder) Begin(r slog.Record, msg string, hasAttrs bool) fuse.Line {
	h := (*JSONHandler)(e)
	l := linePool.Get().(*fusedLine)
	l.s = encodeState{h: h, buf: l.s.buf[:0], groups: l.s.groups[:0]}
	if h.opts.ReplaceAttr != nil {
		l.s.groups = append(l.s.groups, h.groups[:h.nOpenGroups]...)
	}
	l.s.beginRecord(&r, msg, hasAttrs)
	return l
}

// errLineEnded is the panic value of a Line used after its End: a bug in
// the caller, reported as such rather than as a nil dereference.
const errLineEnded = "handler: fuse.Line used after End"

// Attr appends one attribute of the record, as Handle does.
func (l *fusedLine) Attr(a slog.Attr) {
	if l.s.h == nil {
		panic(errLineEnded)
	}
	l.s.recordAttr(a)
}

// End closes the record, writes it with one Write call under the
// handler's mutex, and returns the line to the pool (unless its buffer or
// groups slice grew past the bounds kept in pools). It returns the
// handler's error, as Handle does. The line is marked ended first, so
// that a second End or a later Attr by the same caller panics with
// errLineEnded (once another Begin has taken the line from the pool, such
// a misuse can no longer be told apart).
func (l *fusedLine) End() error {
	h := l.s.h
	if h == nil {
		panic(errLineEnded)
	}
	l.s.endRecord()
	l.s.h = nil
	err := h.write(l.s.buf)
	if cap(l.s.buf) <= maxPooledBufferSize && cap(l.s.groups) <= maxPooledGroups {
		clear(l.s.groups)
		linePool.Put(l)
	}
	return err
}
