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

// take prepares what the buffer keeps of r. A flat record (see
// snapshot.Flat) whose pieces fit the handler's chunks is only measured:
// the buffer copies it into its chunks under the lock, during the call (no
// caller's code runs then); any other record is snapshotted now (see internal/snapshot: LogValuers
// resolved now, nothing shared with the caller that the caller can change),
// with the heap bytes its snapshot holds.
func (hd *held) take(r *slog.Record, limit int) {
	hd.ok = true
	if limit > 0 {
		text, back, ok := snapshot.Flat(r)
		if ok && text <= limit/4 && back <= limit/attrChunkDivisor/4 {
			hd.text, hd.back, hd.limit, hd.flat = text, back, limit, true
			return
		}
	}
	hd.bytes = hd.k.Take(*r)
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
