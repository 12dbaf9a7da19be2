package otlpsink

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLedgerWakesEveryWaiter: a record that finds no room is registered
// as waiting in the same step, so room freed at any later moment wakes it.
func TestLedgerWakesEveryWaiter(t *testing.T) {
	l := newLedger(1)
	if a, _ := l.admit(untracked, true, false); a != admitted {
		t.Fatalf("first record: %v, want admitted", a)
	}
	a, room := l.admit(untracked, true, false)
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
	if a, _ := l.admit(untracked, true, false); a != admitted {
		t.Fatalf("second record again: %v, want admitted", a)
	}
	if a, _ := l.admit(untracked, false, false); a != refused {
		t.Fatalf("third record that cannot wait: %v, want refused", a)
	}
	if a, _ := l.admit(untracked, false, true); a != refused {
		t.Fatalf("fourth record at shutdown: %v, want refused", a)
	}
	l.seal()
	if a, _ := l.admit(untracked, true, false); a != abandoned {
		t.Fatalf("record after seal: %v, want abandoned", a)
	}
	want := ExportStats{Handed: 5, Exported: 1, Dropped: 1, Abandoned: 3, Exports: 1}
	if diff := cmp.Diff(want, l.snapshot()); diff != "" {
		t.Errorf("ExportStats (-want +got):\n%s", diff)
	}
}

// TestLedgerFinalAtSeal: an export still in progress when Shutdown
// returns is cancelled and counted then; its result, arriving later,
// changes no counter.
func TestLedgerFinalAtSeal(t *testing.T) {
	l := newLedger(4)
	for range 3 {
		l.admit(untracked, false, false)
	}
	cancelled := false
	l.startExport(func() { cancelled = true })
	l.seal()
	sealed := l.snapshot()
	want := ExportStats{Handed: 3, Abandoned: 3, Exports: 1, FailedExports: 1, LastError: errExportCancelled.Error()}
	if diff := cmp.Diff(want, sealed); diff != "" || !cancelled {
		t.Errorf("at seal, cancelled %v, ExportStats (-want +got):\n%s", cancelled, diff)
	}
	l.settle(3, 3, context.Canceled)
	l.startExport(func() {}) // Shutdown's own last export, begun after
	l.settle(0, 0, context.Canceled)
	if diff := cmp.Diff(sealed, l.snapshot()); diff != "" {
		t.Errorf("ExportStats changed after seal (-at seal +now):\n%s", diff)
	}
}

// TestLedgerClaimsRecordsInTheBridge: at Shutdown, records still in the
// bridge (converting, or waiting for room) are counted at once as handed
// and abandoned, and not again when they reach the processor.
func TestLedgerClaimsRecordsInTheBridge(t *testing.T) {
	l := newLedger(1)
	first := l.enterBridge()
	if a, _ := l.admit(first, true, false); a != admitted {
		t.Fatalf("first record: %v, want admitted", a)
	}
	waiter := l.enterBridge()
	if a, _ := l.admit(waiter, true, false); a != waiting {
		t.Fatalf("second record: %v, want waiting", a)
	}
	l.doneWaiting()
	converting := l.enterBridge()
	l.close(context.Background())
	l.claim()
	want := ExportStats{Handed: 3, Abandoned: 2, Pending: 1}
	if diff := cmp.Diff(want, l.snapshot()); diff != "" {
		t.Errorf("at claim (-want +got):\n%s", diff)
	}
	if a, _ := l.admit(waiter, false, true); a != abandoned {
		t.Errorf("the claimed waiter: %v, want abandoned", a)
	}
	l.lostInBridge(converting)
	after := l.enterBridge()
	l.lostInBridge(after) // a record handed after Shutdown
	want = ExportStats{Handed: 4, Abandoned: 3, Pending: 1}
	if diff := cmp.Diff(want, l.snapshot()); diff != "" {
		t.Errorf("after claim (-want +got):\n%s", diff)
	}
}
