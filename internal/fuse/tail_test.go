package fuse

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder is a plain slog.Handler that keeps the attributes of the
// records it handles.
type recorder struct{ got *[][]string }

func (h recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h recorder) Handle(_ context.Context, r slog.Record) error {
	*h.got = append(*h.got, keys(r))
	return nil
}
func (h recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recorder) WithGroup(string) slog.Handler      { return h }

// tailRecorder also takes tails, and notes that it did.
type tailRecorder struct {
	recorder
	tails *int
}

func (h tailRecorder) HandleTail(ctx context.Context, r slog.Record, t Tail) error {
	*h.tails++
	return h.Handle(ctx, t.Record(r))
}

func keys(r slog.Record) []string {
	var ks []string
	r.Attrs(func(a slog.Attr) bool { ks = append(ks, a.Key); return true })
	return ks
}

func record(n int) slog.Record {
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	for i := range n {
		r.AddAttrs(slog.Int(string(rune('a'+i)), i))
	}
	return r
}

// TestPass checks that Pass hands the record and its tail to a Handler
// with HandleTail and to any other handler as the rebuilt record, the
// tail's attributes after the record's, and an empty tail as the record
// itself.
func TestPass(t *testing.T) {
	tests := []struct {
		name      string
		attrs     int
		tail      []string
		takesTail bool
		want      []string
		wantTails int
	}{
		{"plain handler, no tail", 2, nil, false, []string{"a", "b"}, 0},
		{"plain handler, tail", 6, []string{"x", "y", "z"}, false, []string{"a", "b", "c", "d", "e", "f", "x", "y", "z"}, 0},
		{"tail handler, tail", 1, []string{"x"}, true, []string{"a", "x"}, 1},
		{"tail handler, empty tail", 1, nil, true, []string{"a"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			var tails int
			var h slog.Handler = recorder{&got}
			if tt.takesTail {
				h = tailRecorder{recorder{&got}, &tails}
			}
			var tail Tail
			for _, k := range tt.tail {
				tail.Add(slog.Bool(k, true))
			}
			if err := Pass(context.Background(), h, record(tt.attrs), tail); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([][]string{tt.want}, got); d != "" {
				t.Errorf("attributes (-want +got):\n%s", d)
			}
			if tails != tt.wantTails {
				t.Errorf("HandleTail called %d times, want %d", tails, tt.wantTails)
			}
		})
	}
}

// TestTailRecordDoesNotShareStorage checks that the rebuilt record does
// not write into the storage of the original: a record with more
// attributes than slog keeps inline shares its overflow slice between
// copies, and appending to one copy must not show in another.
func TestTailRecordDoesNotShareStorage(t *testing.T) {
	r := record(7)
	r2 := r // a copy sharing r's overflow storage, as a caller's would
	var tail Tail
	tail.Add(slog.Bool("x", true))
	_ = tail.Record(r)
	r2.AddAttrs(slog.Bool("y", true))
	var tail2 Tail
	tail2.Add(slog.Bool("z", true))
	got := keys(tail2.Record(r))
	want := []string{"a", "b", "c", "d", "e", "f", "g", "z"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("attributes (-want +got):\n%s", d)
	}
}

// TestTailAddPastMax checks that Add panics past MaxTail instead of
// losing an attribute.
func TestTailAddPastMax(t *testing.T) {
	var tail Tail
	for range MaxTail {
		tail.Add(slog.Bool("k", true))
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Add past MaxTail did not panic")
		}
	}()
	tail.Add(slog.Bool("k", true))
}
