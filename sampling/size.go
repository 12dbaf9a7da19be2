package sampling

import (
	"log/slog"
	"slices"
	"unsafe"

	"github.com/slogstack/slogstack/internal/snapshot"
)

// entrySize is what one buffer slot holds inline: the record (with its
// inline attributes), its context and its handler. A buffered record is
// charged entrySize plus the heap its snapshot holds.
const entrySize = int(unsafe.Sizeof(entry{}))

// take makes hd the snapshot of r that the buffer keeps (see
// internal/snapshot: LogValuers resolved now, nothing shared with the
// caller that the caller can change), with the heap bytes it holds.
func (hd *held) take(r slog.Record) {
	hd.bytes = hd.k.Take(r)
	hd.ok = true
}

// snapshotAttrs returns a snapshot of attrs added with WithAttrs, which the
// Handler keeps to build its annotated next handlers later: a slice of its
// own, sharing nothing the caller can change.
func snapshotAttrs(attrs []slog.Attr) []slog.Attr {
	s, _ := snapshot.Attrs(attrs)
	if len(s) > 0 && &s[0] == &attrs[0] {
		return slices.Clone(attrs)
	}
	return s
}
