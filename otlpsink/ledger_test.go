package otlpsink

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLedgerWakesEveryWaiter: a record that finds no room is registered
// as waiting in the same step, so room freed at any later moment wakes it.
func TestLedgerWakesEveryWaiter(t *testing.T) {
	l := newLedger(1)
	if a, _ := l.admit(true, false); a != admitted {
		t.Fatalf("first record: %v, want admitted", a)
	}
	a, room := l.admit(true, false)
	if a != waiting {
		t.Fatalf("second record: %v, want waiting", a)
	}
	l.settle(1, 0, nil) // room frees before the waiter waits
	select {
	case <-room:
	default:
		t.Fatal("the room freed did not wake the waiting record")
	}
	l.doneWaiting()
	if a, _ := l.admit(true, false); a != admitted {
		t.Fatalf("second record again: %v, want admitted", a)
	}
	if a, _ := l.admit(false, false); a != refused {
		t.Fatalf("third record that cannot wait: %v, want refused", a)
	}
	if a, _ := l.admit(false, true); a != refused {
		t.Fatalf("fourth record at shutdown: %v, want refused", a)
	}
	l.seal()
	if a, _ := l.admit(true, false); a != abandoned {
		t.Fatalf("record after seal: %v, want abandoned", a)
	}
	want := ExportStats{Handed: 5, Exported: 1, Dropped: 1, Abandoned: 3, Exports: 1}
	if diff := cmp.Diff(want, l.snapshot()); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
}
