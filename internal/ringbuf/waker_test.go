package ringbuf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWakerSignals: which pushes signal the consumer, step by step.
func TestWakerSignals(t *testing.T) {
	type step struct {
		op         string // "push" (n, bytes after it), "pop" (took), "sleep" (n), "urgent"
		n, bytes   int
		took       bool
		wantSignal bool
		wantSleep  bool
	}
	tests := []struct {
		name               string
		capacity, maxBytes int
		steps              []step
	}{
		{"a consumer that has not popped is running", 64, 0, []step{
			{op: "push", n: 1}, {op: "push", n: 2},
		}},
		{"a lingering consumer is signalled at an eighth of capacity", 64, 0, []step{
			{op: "pop"},
			{op: "push", n: 1}, {op: "push", n: 7}, {op: "push", n: 8, wantSignal: true},
			{op: "push", n: 9}, // signalled once, until it pops again
		}},
		{"at most 64 records gather", 1 << 20, 0, []step{
			{op: "pop"}, {op: "push", n: 63}, {op: "push", n: 64, wantSignal: true},
		}},
		{"or an eighth of the byte bound", 64, 800, []step{
			{op: "pop"}, {op: "push", n: 1, bytes: 99}, {op: "push", n: 2, bytes: 100, wantSignal: true},
		}},
		{"a tiny queue signals every push to an idle consumer", 4, 0, []step{
			{op: "pop"}, {op: "push", n: 1, wantSignal: true},
		}},
		{"a sleeping consumer is signalled at once", 64, 0, []step{
			{op: "pop"}, {op: "sleep", n: 0, wantSleep: true}, {op: "push", n: 1, wantSignal: true},
		}},
		{"a consumer with records queued may not sleep", 64, 0, []step{
			{op: "pop"}, {op: "push", n: 1}, {op: "sleep", n: 1, wantSleep: false},
			{op: "pop", took: true}, {op: "push", n: 1},
		}},
		{"a pop that took records leaves the consumer running", 64, 0, []step{
			{op: "pop", took: true}, {op: "push", n: 1}, {op: "push", n: 8},
		}},
		{"an urgent producer signals a lingering consumer", 64, 0, []step{
			{op: "pop"}, {op: "urgent", wantSignal: true}, {op: "urgent"}, {op: "push", n: 1},
		}},
		{"an urgent producer signals a sleeping consumer", 64, 0, []step{
			{op: "pop"}, {op: "sleep", wantSleep: true}, {op: "urgent", wantSignal: true}, {op: "push", n: 1},
		}},
		{"an urgent producer leaves a running consumer alone", 64, 0, []step{
			{op: "pop", took: true}, {op: "urgent"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWaker(tt.capacity, tt.maxBytes)
			for i, s := range tt.steps {
				switch s.op {
				case "push":
					if got, _ := w.Pushed(s.n, s.bytes); got != s.wantSignal {
						t.Fatalf("step %d %+v: signal = %v", i, s, got)
					}
				case "urgent":
					if got := w.Urgent(); got != s.wantSignal {
						t.Fatalf("step %d %+v: signal = %v", i, s, got)
					}
				case "pop":
					w.Popped(s.took)
				case "sleep":
					if got := w.Sleep(s.n); got != s.wantSleep {
						t.Fatalf("step %d %+v: sleep = %v", i, s, got)
					}
				}
			}
		})
	}
}

// TestWakerNeverLosesAWakeUp drives a model of a queue, its producers and
// its consumer through random interleavings: a consumer asleep with
// records queued always has a signal pending, and so does a lingering one
// with the wake-up threshold reached or a producer that needed it (Urgent);
// so no record waits longer than the linger timer.
func TestWakerNeverLosesAWakeUp(t *testing.T) {
	const (
		running = iota
		lingering
		sleeping
	)
	// wakeLen 0: NewWaker's threshold; else NewWakerAt's (a batch).
	for _, tc := range [][2]int{{1, 0}, {4, 0}, {64, 0}, {4096, 0}, {4096, 512}, {64, 512}, {4096, 3}} {
		capacity := tc[0]
		w, threshold := NewWaker(capacity, 0), min(max(capacity/8, 1), maxWakeLen)
		if tc[1] > 0 {
			w, threshold = NewWakerAt(capacity, 0, tc[1], math.MaxInt), min(tc[1], max(capacity/8, 1))
		}
		state, n, pending := running, 0, false
		urgent := false // a producer needed the consumer since it last ran
		rng := rand.New(rand.NewPCG(uint64(tc[1]), uint64(capacity)))
		for i := range 100000 {
			if rng.IntN(16) == 0 { // a rejected entry, or a producer waiting for room
				if w.Urgent() {
					pending = true
				}
				urgent = true
			} else if rng.IntN(2) == 0 {
				if n < capacity {
					n++
					if signal, _ := w.Pushed(n, 0); signal {
						pending = true
					}
				}
			} else {
				switch state {
				case running:
					took := n > 0
					w.Popped(took)
					n = 0
					if !took {
						state = lingering
					}
				case lingering:
					if pending {
						pending, state = false, running
					} else if rng.IntN(8) == 0 { // the timer fires
						if w.Sleep(n) {
							state = sleeping
						} else {
							state = running
						}
					}
				case sleeping:
					if pending {
						pending, state = false, running
					}
				}
			}
			if state == running {
				urgent = false
			}
			if state != running && urgent && !pending {
				t.Fatalf("capacity %d, step %d: idle consumer not signalled for an urgent producer", capacity, i)
			}
			if state == sleeping && n > 0 && !pending {
				t.Fatalf("capacity %d, step %d: consumer asleep with %d records and no signal", capacity, i, n)
			}
			if state == lingering && n >= threshold && !pending {
				t.Fatalf("capacity %d, step %d: lingering consumer not signalled with %d records", capacity, i, n)
			}
		}
	}
}

// TestNewWakerAtThresholds: a lingering consumer is signalled by the
// first push that reaches the given entries or bytes, each clamped to
// [1, an eighth of the bound], and not by the one before.
func TestNewWakerAtThresholds(t *testing.T) {
	tests := []struct {
		name                                   string
		capacity, maxBytes, wakeLen, wakeBytes int
		wantLen, wantBytes                     int // the push that signals
	}{
		{"a block of records", 32768, 8 << 20, 512, 64 << 10, 512, 64 << 10},
		{"beyond an eighth of capacity", 64, 0, 512, 64 << 10, 8, 64 << 10},
		{"beyond an eighth of the byte bound", 32768, 1 << 10, 512, 64 << 10, 512, 128},
		{"zero raised to one", 32768, 8 << 20, 0, 0, 1, 1},
		{"a tiny queue", 1, 1, 512, 64 << 10, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Pushes reaching the threshold by entries (bytes stay below
			// theirs), then by bytes (entries stay below theirs).
			for _, at := range [][2]int{{tt.wantLen, tt.wantBytes - 1}, {tt.wantLen - 1, tt.wantBytes}} {
				w := NewWakerAt(tt.capacity, tt.maxBytes, tt.wakeLen, tt.wakeBytes)
				w.Popped(false) // the consumer lingers
				if tt.wantLen > 1 && tt.wantBytes > 1 {
					if s, _ := w.Pushed(at[0]-1, at[1]-1); s {
						t.Errorf("push at %d entries, %d bytes: signalled below the threshold", at[0]-1, at[1]-1)
					}
				}
				if s, _ := w.Pushed(max(at[0], 1), max(at[1], 1)); !s {
					t.Errorf("push at %d entries, %d bytes: not signalled", at[0], at[1])
				}
			}
		})
	}
}

// TestRingWakeLen: a Ring with Options.WakeLen signals its lingering
// consumer at the push that queues WakeLen entries (at most an eighth of
// Capacity), not before.
func TestRingWakeLen(t *testing.T) {
	tests := []struct {
		name                string
		capacity, wakeLen   int
		wantSignalAtEntries int
	}{
		{"a batch", 1024, 16, 16},
		{"beyond an eighth of capacity", 64, 512, 8},
		{"unset: the default threshold", 4096, 0, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New[int](Options{Capacity: tt.capacity, WakeLen: tt.wakeLen}, nil)
			r.Pop(nil, 1, 0, nil) // empty: the consumer lingers
			for i := 1; i <= tt.wantSignalAtEntries; i++ {
				r.Push(i, false, 0)
				select {
				case <-r.Wake():
					if i != tt.wantSignalAtEntries {
						t.Fatalf("signalled at %d entries, want %d", i, tt.wantSignalAtEntries)
					}
				default:
					if i == tt.wantSignalAtEntries {
						t.Fatalf("not signalled at %d entries", i)
					}
				}
			}
		})
	}
}
