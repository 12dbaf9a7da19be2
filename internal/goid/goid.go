package goid

import (
	"bytes"
	"runtime"
)

// ID returns the id of the calling goroutine, read from the header of its
// stack trace ("goroutine 18 [running]:"). It is never 0, and ids are
// never reused while the process runs. It costs a stack header (about a
// microsecond): call it on lifecycle paths (Flush, Close, the start of a
// batch), never per record.
func ID() uint64 {
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
