package ringbuf

import (
	"fmt"
	"sync"
	"testing"
)

// TestStressConservationAndOrder runs many producers against one consumer
// on a small ring: every pushed entry is either popped or dropped exactly
// once, and each producer's popped entries keep their push order.
func TestStressConservationAndOrder(t *testing.T) {
	for _, opts := range []Options{
		{Capacity: 256},
		{Capacity: 256, Reserved: 32},
		{Capacity: 256, MaxBytes: 1000},
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) { stress(t, opts) })
	}
}

func stress(t *testing.T, opts Options) {
	const producers = 64
	perProducer := 5000
	if testing.Short() {
		perProducer = 500
	}
	type entry struct{ producer, n int }
	var dropMu sync.Mutex // onDrop runs under the ring lock; this only guards the slice against the test itself
	dropped := make([]int, producers)
	r := New(opts, func(e entry) {
		dropMu.Lock()
		dropped[e.producer]++
		dropMu.Unlock()
	})

	popped := make([]int, producers)
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	var orderErr error
	consumerDone := make(chan struct{})
	go func() {
		defer close(consumerDone)
		var batch []entry
		for {
			batch = r.Pop(batch[:0], 64, 200, nil)
			if len(batch) == 0 {
				if r.Closed() && r.Stats().Len == 0 {
					return
				}
				<-r.Wake()
				continue
			}
			if st := r.Stats(); opts.MaxBytes > 0 && st.Bytes > opts.MaxBytes && orderErr == nil {
				orderErr = fmt.Errorf("ring holds %d bytes, over MaxBytes %d", st.Bytes, opts.MaxBytes)
			}
			for _, e := range batch {
				if e.n <= last[e.producer] && orderErr == nil {
					orderErr = fmt.Errorf("producer %d: entry %d popped after %d", e.producer, e.n, last[e.producer])
				}
				last[e.producer] = e.n
				popped[e.producer]++
			}
		}
	}()

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for n := range perProducer {
				if !r.Push(entry{p, n}, n%7 == 0, n%13) {
					t.Errorf("Push failed on an open ring")
					return
				}
			}
		})
	}
	wg.Wait()
	r.Close()
	<-consumerDone

	if orderErr != nil {
		t.Fatal(orderErr)
	}
	var totalDropped int
	for p := range producers {
		if popped[p]+dropped[p] != perProducer {
			t.Errorf("producer %d: popped %d + dropped %d != pushed %d", p, popped[p], dropped[p], perProducer)
		}
		totalDropped += dropped[p]
	}
	if st := r.Stats(); st.Evicted != uint64(totalDropped) || st.Pushed != uint64(producers*perProducer) {
		t.Errorf("Stats = %+v, want Evicted %d Pushed %d", st, totalDropped, producers*perProducer)
	}
	if st := r.Stats(); st.HighWater > 256 || st.Len != 0 || st.Bytes != 0 {
		t.Errorf("Stats %+v: HighWater over capacity 256, or entries left", st)
	}
}
