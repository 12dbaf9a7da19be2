package goid

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestIDIsPerGoroutine: the id is not zero, the same on one goroutine,
// and different on each other goroutine alive at the same time.
func TestIDIsPerGoroutine(t *testing.T) {
	id := ID()
	if id == 0 || ID() != id {
		t.Fatalf("ID() = %d, then %d: want one nonzero id", id, ID())
	}
	const n = 16
	ids := make([]uint64, n)
	var started, release sync.WaitGroup
	release.Add(1)
	var done sync.WaitGroup
	for i := range n {
		started.Add(1)
		done.Go(func() {
			ids[i] = ID()
			started.Done()
			release.Wait() // alive together: no id can be shared
			if again := ID(); again != ids[i] {
				t.Errorf("goroutine %d: ID() = %d, then %d", i, ids[i], again)
			}
		})
	}
	started.Wait()
	release.Done()
	done.Wait()
	seen := map[uint64]int{id: -1}
	for i, g := range ids {
		if g == 0 {
			t.Errorf("goroutine %d: ID() = 0", i)
		}
		if j, dup := seen[g]; dup {
			t.Errorf("goroutines %d and %d share id %d", i, j, g)
		}
		seen[g] = i
	}
}

// BenchmarkID measures what a goroutine check adds to the lifecycle paths
// that call it.
func BenchmarkID(b *testing.B) {
	for b.Loop() {
		ID()
	}
}

// TestRefusal: a refusal has its own text and is ErrOwnGoroutine to
// errors.Is, also when wrapped; other errors are not.
func TestRefusal(t *testing.T) {
	r := Refusal("x: Close called from the sink")
	if r.Error() != "x: Close called from the sink" {
		t.Errorf("Error() = %q", r.Error())
	}
	if !errors.Is(r, ErrOwnGoroutine) || !errors.Is(fmt.Errorf("stack: %w", r), ErrOwnGoroutine) {
		t.Error("a refusal is not ErrOwnGoroutine")
	}
	if errors.Is(errors.New("x: Close called from the sink"), ErrOwnGoroutine) {
		t.Error("another error is ErrOwnGoroutine")
	}
}
