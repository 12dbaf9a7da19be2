package async

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/ringbuf"
)

var blockTestLevels = []string{"DEBUG", "INFO", "WARN", "ERROR"}

// blockTestLine returns record i: a JSON line of a level chosen by i and of
// a length that varies with i.
func blockTestLine(i int) []byte {
	return fmt.Appendf(nil, `{"level":"%s","msg":"m","i":%d,"pad":"%s"}`+"\n",
		blockTestLevels[i%len(blockTestLevels)], i, strings.Repeat("p", i%37))
}

// lineIndex returns the "i" field of a line made by blockTestLine.
func lineIndex(t *testing.T, line []byte) int {
	t.Helper()
	_, rest, ok := bytes.Cut(line, []byte(`"i":`))
	if !ok {
		t.Fatalf("line without index: %q", line)
	}
	digits, _, _ := bytes.Cut(rest, []byte(","))
	i, err := strconv.Atoi(string(digits))
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return i
}

// TestBlockQueueDropsOldestExactly pushes records with no consumer running:
// the queue must drop exactly the oldest records, in order, and Pop must
// then return exactly the newest ones, whole, in order, in blocks within
// the batch bounds.
func TestBlockQueueDropsOldestExactly(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		n    int
	}{
		{"capacity bound", Options{Capacity: 50, MaxBytes: 1 << 20, BatchSize: 7, BatchBytes: 1 << 20}, 500},
		{"byte bound", Options{Capacity: 1 << 16, MaxBytes: 3000, BatchSize: 512, BatchBytes: 400}, 500},
		{"one record per block", Options{Capacity: 40, MaxBytes: 1 << 20, BatchSize: 1, BatchBytes: 1 << 20}, 300},
		{"batch bytes below a record", Options{Capacity: 30, MaxBytes: 1 << 20, BatchSize: 512, BatchBytes: 10}, 100},
		{"default block size", Options{Capacity: 1 << 16, MaxBytes: 200 << 10, BatchSize: 512, BatchBytes: 256 << 10}, 5000},
		{"nothing dropped", Options{Capacity: 1000, MaxBytes: 1 << 20, BatchSize: 64, BatchBytes: 1000}, 999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dropped []int
			droppedBytes := 0
			q := newBlockQueue(tt.opts, ringbuf.NewGate(0), func(p []byte, size int) {
				if size != len(p) {
					t.Fatalf("drop of %d bytes reports size %d", len(p), size)
				}
				dropped = append(dropped, lineIndex(t, p))
				droppedBytes += size
			})
			total := 0
			for i := range tt.n {
				line := blockTestLine(i)
				total += len(line)
				if !q.Push(line) {
					t.Fatal("Push refused on an open queue")
				}
				if st := q.Stats(); st.Len > tt.opts.Capacity || st.Bytes > tt.opts.MaxBytes {
					t.Fatalf("after record %d: %d records, %d bytes, over the bounds", i, st.Len, st.Bytes)
				}
			}
			for k, i := range dropped {
				if i != k {
					t.Fatalf("drop %d is record %d, want the oldest, %d", k, i, k)
				}
			}
			st := q.Stats()
			if st.Pushed != uint64(tt.n) || st.Evicted != uint64(len(dropped)) || st.Len != tt.n-len(dropped) ||
				st.Bytes != total-droppedBytes || st.PushedBytes != uint64(total) {
				t.Fatalf("Stats %+v after %d records (%d bytes), %d dropped (%d bytes)", st, tt.n, total, len(dropped), droppedBytes)
			}
			next := len(dropped)
			for {
				batch := q.Pop(nil, tt.opts.BatchSize, tt.opts.BatchBytes, nil)
				if len(batch) == 0 {
					break
				}
				k := batch[0]
				recs := k.live()
				if recs > tt.opts.BatchSize || recs > 1 && len(k.b)-k.off > tt.opts.BatchBytes {
					t.Fatalf("block of %d records, %d bytes, over BatchSize %d or BatchBytes %d", recs, len(k.b)-k.off, tt.opts.BatchSize, tt.opts.BatchBytes)
				}
				var want []byte
				for range recs {
					want = append(want, blockTestLine(next)...)
					next++
				}
				if diff := cmp.Diff(string(want), string(k.b[k.off:])); diff != "" {
					t.Fatalf("block bytes (-want +got):\n%s", diff)
				}
				q.Release(k)
			}
			if next != tt.n {
				t.Fatalf("popped up to record %d, want %d", next, tt.n)
			}
			if st := q.Stats(); st.Len != 0 || st.Bytes != 0 {
				t.Fatalf("queue not empty after popping all: %+v", st)
			}
		})
	}
}

// TestBlockQueueMemoryStaysBounded runs a producer ahead of a consumer that
// never lets the queue empty: the block list and the free list must not
// grow, and blocks must be reused rather than allocated.
func TestBlockQueueMemoryStaysBounded(t *testing.T) {
	opts := Options{Capacity: 1 << 16, MaxBytes: 1 << 20, BatchSize: 512, BatchBytes: 4096}.withDefaults(defaultWriterCapacity)
	q := newBlockQueue(opts, ringbuf.NewGate(0), nil)
	line := blockTestLine(3)
	for range 3 * 4096 / len(line) {
		q.Push(line)
	}
	allocs := testing.AllocsPerRun(2000, func() {
		for range 4096 / len(line) {
			q.Push(line)
		}
		for _, k := range q.Pop(make([]*block, 0, 1), opts.BatchSize, opts.BatchBytes, nil) {
			q.Release(k)
		}
	})
	if allocs > 1 { // the Pop destination slice
		t.Fatalf("%v allocations per cycle, want blocks reused", allocs)
	}
	if cap(q.blocks) > 16 || len(q.free) > maxFreeBlocks {
		t.Fatalf("block list cap %d, free list %d: not bounded", cap(q.blocks), len(q.free))
	}
}

// TestWriterDropsExactlyTheOldestAndCountsThemByLevel fills a Writer whose
// underlying writer is blocked: what reaches the writer is the block the
// drain goroutine took first plus the newest records, and Stats counts
// exactly the others, by their levels.
func TestWriterDropsExactlyTheOldestAndCountsThemByLevel(t *testing.T) {
	leakcheck.Check(t)
	tests := []struct {
		name string
		opts Options
		n    int
	}{
		{"capacity", Options{Capacity: 64, BatchSize: 8}, 2000},
		{"max bytes", Options{MaxBytes: 4096, BatchBytes: 1024}, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &callRecorder{gate: make(chan struct{})}
			w := NewWriter(rec, tt.opts)
			for i := range tt.n {
				w.Write(blockTestLine(i))
			}
			close(rec.gate)
			closeNow(t, w)

			var got []int
			for _, call := range rec.calls {
				for line := range bytes.Lines(call) {
					got = append(got, lineIndex(t, line))
				}
			}
			// got must be one run of consecutive records (the block in
			// flight, taken when the drain goroutine first ran) followed by
			// the newest records, up to n-1.
			a := 1
			for a < len(got) && got[a] == got[a-1]+1 {
				a++
			}
			b := tt.n - (len(got) - a)
			for k, i := range got[a:] {
				if i != b+k {
					t.Fatalf("written records %v: not one run and the newest records", got)
				}
			}
			written := make(map[int]bool)
			for _, i := range got {
				written[i] = true
			}
			var want LevelCounts
			for i := range tt.n {
				if written[i] {
					continue
				}
				switch blockTestLevels[i%len(blockTestLevels)] {
				case "DEBUG":
					want.Debug++
				case "INFO":
					want.Info++
				case "WARN":
					want.Warn++
				case "ERROR":
					want.Error++
				}
			}
			st := w.Stats()
			if diff := cmp.Diff(want, st.DroppedByLevel); diff != "" {
				t.Fatalf("DroppedByLevel (-want +got):\n%s", diff)
			}
			if st.Accepted != uint64(tt.n) || st.Written != uint64(len(got)) || st.Dropped != uint64(tt.n-len(got)) || st.Batches != uint64(len(rec.calls)) {
				t.Fatalf("Stats %+v; %d written in %d calls", st, len(got), len(rec.calls))
			}
		})
	}
}

// TestWriterCloseDeadlineCountsLostRecords: with the underlying writer
// stuck in writing the first block, Close gives up and counts every queued
// record, in several blocks, as lost, and the records of the block in
// flight as still being written; they count as written once the writer
// returns.
func TestWriterCloseDeadlineCountsLostRecords(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		rec := &callRecorder{gate: make(chan struct{})}
		w := NewWriter(rec, Options{BatchSize: 10})
		w.Write(blockTestLine(0))
		synctest.Wait() // the drain is writing the block of line 0
		for i := range 94 {
			w.Write(blockTestLine(i + 1))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		const want = "async: close: 94 records lost: the sink did not take them before the deadline; 1 record still being written by the sink: context deadline exceeded"
		if err := w.Close(ctx); err == nil || err.Error() != want {
			t.Fatalf("Close = %v, want %q", err, want)
		}
		close(rec.gate)
		<-w.p.done
		if st := w.Stats(); st.Lost != 94 || st.Written != 1 || st.InFlight != 0 || st.Accepted != 95 || st.QueueDepth != 0 {
			t.Fatalf("Stats %+v", st)
		}
	})
}

// TestWriterWriteDoesNotAllocate: once blocks are in use, a Write copies
// into one of them and allocates nothing.
func TestWriterWriteDoesNotAllocate(t *testing.T) {
	leakcheck.Check(t)
	w := NewWriter(io.Discard, Options{})
	defer closeNow(t, w)
	line := blockTestLine(5)
	for range 10000 {
		w.Write(line)
	}
	if n := testing.AllocsPerRun(5000, func() { w.Write(line) }); n != 0 {
		t.Fatalf("Write allocates %v times", n)
	}
}

// BenchmarkWriterWrite measures the caller's cost of one ~250-byte Write.
func BenchmarkWriterWrite(b *testing.B) {
	line := append(bytes.Repeat([]byte("x"), 249), '\n')
	b.Run("serial", func(b *testing.B) {
		w := NewWriter(io.Discard, Options{})
		defer w.Close(context.Background())
		b.ReportAllocs()
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			w.Write(line)
		}
		reportWriterStats(b, w)
	})
	b.Run("parallel", func(b *testing.B) {
		w := NewWriter(io.Discard, Options{})
		defer w.Close(context.Background())
		b.ReportAllocs()
		b.SetBytes(int64(len(line)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				w.Write(line)
			}
		})
		reportWriterStats(b, w)
	})
}

// reportWriterStats closes w and reports its batches and drops per Write
// and the deepest its queue got.
func reportWriterStats(b *testing.B, w *Writer) {
	b.StopTimer()
	w.Close(context.Background())
	st := w.Stats()
	b.ReportMetric(float64(st.Batches)/float64(st.Accepted), "batches/op")
	b.ReportMetric(float64(st.Dropped)/float64(st.Accepted), "drops/op")
	b.ReportMetric(float64(st.HighWater), "high-water")
}
