package goid

import (
	"bytes"
	"errors"
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

// ErrOwnGoroutine is what errors.Is finds in the error of a call that
// refused to wait for work running on its own goroutine (a Flush or Close
// called from the sink it would wait for). Such a call did nothing, so a
// caller may make it again from another goroutine.
var ErrOwnGoroutine = errors.New("called on the goroutine it would wait for")

// Refusal returns an error with the text msg that errors.Is matches with
// ErrOwnGoroutine.
func Refusal(msg string) error { return refusal(msg) }

type refusal string

func (r refusal) Error() string        { return string(r) }
func (r refusal) Is(target error) bool { return target == ErrOwnGoroutine }
