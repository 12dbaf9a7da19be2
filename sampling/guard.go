package sampling

import "fmt"

// recoverPanic, deferred, recovers a panic of the next handler and counts
// it.
func (sh *shared) recoverPanic() {
	if recover() != nil {
		sh.stats.handlePanics.Add(1)
	}
}

// recoverAsError, deferred, recovers a panic of the next handler, counts
// it and makes it the error *err.
func (sh *shared) recoverAsError(err *error) {
	if p := recover(); p != nil {
		sh.stats.handlePanics.Add(1)
		*err = panicError(p)
	}
}

// panicError is the error Handle returns when the next handler panicked
// on a record written at once.
func panicError(p any) error {
	if err, ok := p.(error); ok {
		return fmt.Errorf("sampling: next handler panicked: %w", err)
	}
	return fmt.Errorf("sampling: next handler panicked: %v", p)
}
