package aggregation

import (
	"sync"
	"sync/atomic"
	"time"
)

// ticker is the part of time.Ticker the flusher uses; tests replace it.
type ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ t *time.Ticker }

func newRealTicker(d time.Duration) ticker { return realTicker{time.NewTicker(d)} }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// flusher owns the background goroutine that writes summaries whose window
// has ended and drops idle groups. The goroutine runs only while the cache
// holds groups: the first group added starts it, it exits when a tick
// finds the cache empty, and Close stops it for good.
type flusher struct {
	sh      *shared
	running atomic.Bool

	mu     sync.Mutex // guards the fields below and starting the goroutine
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// ensureFlusher starts the flusher unless it runs or the handler is
// closed. Callers add their group before calling it.
func (sh *shared) ensureFlusher() {
	f := &sh.flusher
	if f.running.Load() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.running.Load() {
		return
	}
	f.running.Store(true)
	f.stop, f.done = make(chan struct{}), make(chan struct{})
	go f.run(f.stop, f.done)
}

// stopFlusher marks the handler closed and stops the flusher, waiting for
// it to exit. It reports false if the handler was already closed.
func (sh *shared) stopFlusher() bool {
	f := &sh.flusher
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return false
	}
	f.closed = true
	sh.closed.Store(true)
	stop, done := f.stop, f.done
	f.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	return true
}

func (f *flusher) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	cfg := &f.sh.cfg
	t := cfg.newTicker(cfg.flushInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C():
		}
		f.sh.tick()
		if cfg.afterTick != nil {
			cfg.afterTick()
		}
		if f.sh.groups.Load() > 0 {
			continue
		}
		// Exit while the cache is empty. running is cleared before the
		// count is read again, and Handle adds its group before it reads
		// running: one of the two sees the other.
		f.mu.Lock()
		f.running.Store(false)
		if f.sh.groups.Load() > 0 && !f.closed {
			f.running.Store(true)
			f.mu.Unlock()
			continue
		}
		f.mu.Unlock()
		return
	}
}

// tick writes the summaries whose window ends before the next tick and
// drops groups idle for a whole window.
func (sh *shared) tick() {
	now := sh.cfg.now()
	var out []outgoing
	for i := range sh.shards {
		out = sh.shards[i].sweep(sh, now, out)
	}
	// Errors are counted in Stats.
	_ = sh.emitAll(out)
}
