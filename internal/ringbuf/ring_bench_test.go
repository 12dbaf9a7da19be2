package ringbuf

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// queue is what the benchmarks compare: a bounded, drop-oldest,
// multi-producer single-consumer queue of pointers.
type queue interface {
	push(v *int)
	// drain takes what is queued and returns how many entries it took; it
	// blocks while the queue is empty unless stop is closed.
	drain(stop <-chan struct{}) int
}

type ringQueue struct {
	r     *Ring[*int]
	batch []*int
}

func (q *ringQueue) push(v *int) { q.r.Push(v, false, 0) }
func (q *ringQueue) drain(stop <-chan struct{}) int {
	q.batch = q.r.Pop(q.batch[:0], 256, 0, nil)
	if len(q.batch) == 0 {
		select {
		case <-q.r.Wake():
		case <-stop:
		}
	}
	return len(q.batch)
}

// chanQueue is a buffered channel that makes room by receiving the oldest
// entry when a send would block.
type chanQueue struct{ ch chan *int }

func (q *chanQueue) push(v *int) {
	for {
		select {
		case q.ch <- v:
			return
		default:
		}
		select {
		case <-q.ch:
		default:
		}
	}
}

func (q *chanQueue) drain(stop <-chan struct{}) int {
	select {
	case <-q.ch:
	case <-stop:
		return 0
	}
	n := 1
	for n < 256 {
		select {
		case <-q.ch:
			n++
		default:
			return n
		}
	}
	return n
}

// sliceQueue is a mutex-guarded slice the consumer swaps out whole, with a
// condition-free wake channel; full means dropping the slice's first entry.
type sliceQueue struct {
	mu    sync.Mutex
	buf   []*int
	spare []*int
	limit int
	wake  chan struct{}
}

func (q *sliceQueue) push(v *int) {
	q.mu.Lock()
	if len(q.buf) == q.limit {
		copy(q.buf, q.buf[1:])
		q.buf = q.buf[:len(q.buf)-1]
	}
	q.buf = append(q.buf, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *sliceQueue) drain(stop <-chan struct{}) int {
	q.mu.Lock()
	got := q.buf
	q.buf = q.spare[:0]
	q.mu.Unlock()
	q.spare = got
	if len(got) == 0 {
		select {
		case <-q.wake:
		case <-stop:
		}
	}
	return len(got)
}

const benchCapacity = 4096

func newQueues() map[string]func() queue {
	return map[string]func() queue{
		"ring": func() queue { return &ringQueue{r: New[*int](Options{Capacity: benchCapacity}, nil)} },
		"chan": func() queue { return &chanQueue{ch: make(chan *int, benchCapacity)} },
		"mutex-slice": func() queue {
			return &sliceQueue{buf: make([]*int, 0, benchCapacity), spare: make([]*int, 0, benchCapacity), limit: benchCapacity, wake: make(chan struct{}, 1)}
		},
	}
}

// BenchmarkPush measures the producer's cost per push with a consumer
// draining concurrently, for 1, 2, 8 and 64 producer goroutines. drained/op
// is the share of pushes the consumer received (the rest were evicted).
func BenchmarkPush(b *testing.B) {
	for _, name := range []string{"ring", "chan", "mutex-slice"} {
		for _, producers := range []int{1, 2, 8, 64} {
			b.Run(fmt.Sprintf("%s/producers=%d", name, producers), func(b *testing.B) {
				q := newQueues()[name]()
				stop := make(chan struct{})
				var drained atomic.Int64
				done := make(chan struct{})
				go func() {
					defer close(done)
					for {
						select {
						case <-stop:
							return
						default:
						}
						drained.Add(int64(q.drain(stop)))
					}
				}()
				v := new(int)
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				per := b.N / producers
				for p := range producers {
					n := per
					if p == 0 {
						n += b.N % producers
					}
					wg.Go(func() {
						for range n {
							q.push(v)
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				close(stop)
				<-done
				b.ReportMetric(float64(drained.Load())/float64(b.N), "drained/op")
			})
		}
	}
}
