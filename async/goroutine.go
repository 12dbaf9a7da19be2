package async

import (
	"bytes"
	"runtime"
)

// goroutineID returns the id of the calling goroutine, read from the
// header of its stack trace ("goroutine 18 [running]:"). Ids are never
// reused while the process runs. It costs a stack header (about a
// microsecond): Flush and Close call it, never Handle or Write.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	var id uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// onDrainGoroutine reports whether the caller runs on the drain
// goroutine, that is, inside a call into the sink. The drain goroutine
// stores its id before it calls the sink, so it sees its own id; any
// other goroutine sees an id that is not its own.
func (p *pipeline[T]) onDrainGoroutine() bool {
	return p.drainGoroutine.Load() == goroutineID()
}
