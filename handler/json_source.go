package handler

import (
	"log/slog"
	"runtime"
	"sync/atomic"
)

// sourceEntry is the resolved source location of one program counter,
// immutable once published in sourceCache.
type sourceEntry struct {
	pc  uintptr
	src slog.Source
	// json is the "source" object as slog.JSONHandler renders it without
	// ReplaceAttr, e.g. {"function":"main.main","file":"/x.go","line":7};
	// nil if src is empty (slog then omits the key).
	json []byte
}

// sourceCacheSize bounds the cache: one entry per slot, a direct-mapped
// table, so memory stays fixed however many call sites a program has.
// A program with more hot call sites than slots pays a lookup on
// collisions, never unbounded growth.
const (
	sourceCacheBits = 10
	sourceCacheSize = 1 << sourceCacheBits
)

var sourceCache [sourceCacheSize]atomic.Pointer[sourceEntry]

// lookupSource returns the source location of pc, resolving it with
// runtime.CallersFrames (as slog.Record.Source does) on a cache miss. It
// returns nil for pc 0.
func lookupSource(pc uintptr) *sourceEntry {
	if pc == 0 {
		return nil
	}
	slot := &sourceCache[sourceSlot(pc)]
	if e := slot.Load(); e != nil && e.pc == pc {
		return e
	}
	fs := runtime.CallersFrames([]uintptr{pc})
	f, _ := fs.Next()
	e := &sourceEntry{
		pc:  pc,
		src: slog.Source{Function: f.Function, File: f.File, Line: f.Line},
	}
	e.json = appendSourceJSON(nil, &e.src)
	slot.Store(e)
	return e
}

// sourceSlot spreads program counters over the cache with a
// multiplicative hash.
func sourceSlot(pc uintptr) uint64 {
	return (uint64(pc) * 0x9E3779B97F4A7C15) >> (64 - sourceCacheBits)
}

// appendSourceJSON appends src as the JSON object slog writes for a
// *slog.Source: its non-zero fields, or nothing (returning b unchanged, nil
// if b is nil) if all are zero.
func appendSourceJSON(b []byte, src *slog.Source) []byte {
	if *src == (slog.Source{}) {
		return b
	}
	b = append(b, '{')
	sep := false
	if src.Function != "" {
		b = append(b, `"function":`...)
		b = appendJSONString(b, src.Function)
		sep = true
	}
	if src.File != "" {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"file":`...)
		b = appendJSONString(b, src.File)
		sep = true
	}
	if src.Line != 0 {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"line":`...)
		b = appendInt(b, int64(src.Line))
	}
	return append(b, '}')
}
