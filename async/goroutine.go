package async

import "github.com/slogstack/slogstack/internal/goid"

// goroutineID returns the id of the calling goroutine (see goid.ID). It
// costs a stack header (about a microsecond): Flush and Close call it,
// never Handle or Write.
func goroutineID() uint64 { return goid.ID() }

// onDrainGoroutine reports whether the caller runs on the drain
// goroutine, that is, inside a call into the sink. The drain goroutine
// stores its id before it calls the sink, so it sees its own id; any
// other goroutine sees an id that is not its own.
func (p *pipeline[T]) onDrainGoroutine() bool {
	return p.drainGoroutine.Load() == goroutineID()
}
