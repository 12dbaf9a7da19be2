package leakcheck

import (
	"testing"
)

type recorder struct {
	testing.TB
	failed  bool
	cleanup []func()
}

func (r *recorder) Helper()               {}
func (r *recorder) Cleanup(f func())      { r.cleanup = append(r.cleanup, f) }
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) run() {
	for i := len(r.cleanup) - 1; i >= 0; i-- {
		r.cleanup[i]()
	}
}

func TestCheckFindsALeak(t *testing.T) {
	stop := make(chan struct{})
	r := &recorder{TB: t}
	Check(r)
	go func() { <-stop }()
	// The check waits out its grace period before failing; close the
	// goroutine afterwards so this test itself leaks nothing.
	r.run()
	close(stop)
	if !r.failed {
		t.Fatal("a goroutine blocked forever was not reported")
	}
}

func TestCheckPassesWhenGoroutinesStop(t *testing.T) {
	r := &recorder{TB: t}
	Check(r)
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	r.run()
	if r.failed {
		t.Fatal("a goroutine that ended was reported as a leak")
	}
}
