// Package leakcheck fails a test that leaves goroutines behind. The library
// module depends on nothing but what its go.mod names, so this small check
// stands in for go.uber.org/goleak in the module's own tests: call Check at
// the top of a test, and the test fails if goroutines it started are still
// running a few seconds after it ends.
package leakcheck
