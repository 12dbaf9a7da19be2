package aggregation

import (
	"sync"
	"sync/atomic"
	"time"
)

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

// stopFlusher marks the handler closed and tells the flusher to stop. It
// returns the channel closed when the flusher has exited, or nil if none
// was started. Once closed, no flusher starts again.
func (sh *shared) stopFlusher() <-chan struct{} {
	f := &sh.flusher
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	sh.closed.Store(true)
	if f.stop == nil {
		return nil
	}
	close(f.stop)
	return f.done
}

// run is the flusher goroutine. However it exits, it clears its state:
// if a panic (recovered and counted in Stats.HandlePanics) or the next
// handler's runtime.Goexit ends it, a new flusher is started at once while
// the cache holds groups and the handler is open.
func (f *flusher) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	exited := false
	defer func() {
		if !exited {
			f.restart(recover())
		}
	}()
	f.loop(stop)
	exited = true
}

// loop ticks until stop is closed or a tick finds the cache empty.
func (f *flusher) loop(stop <-chan struct{}) {
	t := time.NewTicker(f.sh.cfg.flushInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		select {
		case <-stop:
			return
		default:
		}
		f.sh.tick()
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

// restart replaces a flusher that a panic p (nil for runtime.Goexit) ended:
// it counts the panic, clears running, and starts a new flusher if the
// cache holds groups and the handler is open. A Goexit of the next handler
// is counted where it happened (see handleNext).
func (f *flusher) restart(p any) {
	if p != nil {
		f.sh.handlePanics.Add(1)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running.Store(false)
	if f.closed || f.sh.groups.Load() == 0 {
		return
	}
	f.running.Store(true)
	f.stop, f.done = make(chan struct{}), make(chan struct{})
	go f.run(f.stop, f.done)
}

// tick writes the summaries whose window ends before the next tick and
// drops groups idle for a whole window. Close may abandon the summaries it
// has not started writing.
func (sh *shared) tick() {
	now := time.Now()
	b, earlier := sh.startBatch(func(out []outgoing) []outgoing {
		for i := range sh.shards {
			out = sh.shards[i].sweep(sh, now, out)
		}
		return out
	})
	if b != nil {
		// Errors are counted in Stats.
		sh.write(b, earlier)
	}
}
