package async

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// heldSink blocks its first call (Handle or Write) until release is
// closed; every call returns err. entered is closed when the first call
// arrives.
type heldSink struct {
	entered, release chan struct{}
	err              error
	calls            atomic.Int64
}

func newHeldSink(err error) *heldSink {
	return &heldSink{entered: make(chan struct{}), release: make(chan struct{}), err: err}
}

func (s *heldSink) hold() error {
	if s.calls.Add(1) == 1 {
		close(s.entered)
		<-s.release
	}
	return s.err
}

func (s *heldSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *heldSink) Handle(context.Context, slog.Record) error {
	return s.hold()
}
func (s *heldSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *heldSink) WithGroup(string) slog.Handler      { return s }

func (s *heldSink) Write(p []byte) (int, error) {
	if err := s.hold(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// closeCounts are the Stats fields the Close accounting is about.
type closeCounts struct {
	Accepted, Written, Failed, Lost, WriteErrors uint64
	QueueDepth, InFlight                         int
}

func closeCountsOf(st Stats) closeCounts {
	return closeCounts{
		Accepted: st.Accepted, Written: st.Written, Failed: st.Failed, Lost: st.Lost,
		WriteErrors: st.WriteErrors, QueueDepth: st.QueueDepth, InFlight: st.InFlight,
	}
}

// conserved reports whether st obeys Stats' conservation law.
func conserved(st Stats) bool {
	return st.Accepted == st.Written+st.Failed+st.Skipped+st.Dropped+st.Lost+uint64(st.QueueDepth+st.InFlight)
}

// TestCloseDeadlineCountsInFlightOnce: Close gives up at its deadline
// while the sink is inside a call taking one record, with 49 more queued.
// It returns at the deadline saying exactly how many records are lost (the
// queued ones) and how many the sink is still taking (that one, not lost);
// when the sink's call returns, that record counts as written or failed,
// exactly once; a sink that never returns leaves it in flight. The
// conservation law holds at every step, for a Handler and a Writer.
func TestCloseDeadlineCountsInFlightOnce(t *testing.T) {
	const wantErr = "async: close: 49 records lost: the sink did not take them before the deadline; 1 record still being written by the sink: context deadline exceeded"
	sinkErr := errors.New("sink failed")
	type closer interface {
		Close(context.Context) error
		Stats() Stats
	}
	forms := []struct {
		name string
		// retries is how many more calls a failed one brings.
		retries int
		make    func(s *heldSink) (log func(), c closer)
	}{
		{"handler", 0, func(s *heldSink) (func(), closer) {
			h := NewHandler(s, Options{Capacity: 100})
			return func() { slog.New(h).Info("m") }, h
		}},
		{"writer", maxWriteAttempts - 1, func(s *heldSink) (func(), closer) {
			w := NewWriter(s, Options{Capacity: 100})
			return func() { w.Write([]byte("m\n")) }, w
		}},
	}
	tests := []struct {
		name      string
		sinkErr   error
		returns   bool
		wantAfter closeCounts
	}{
		{"sink returns nil", nil, true, closeCounts{Accepted: 50, Written: 1, Lost: 49}},
		{"sink returns an error", sinkErr, true, closeCounts{Accepted: 50, Failed: 1, Lost: 49, WriteErrors: 1}},
		{"sink never returns", nil, false, closeCounts{Accepted: 50, Lost: 49, InFlight: 1}},
	}
	for _, form := range forms {
		for _, tt := range tests {
			t.Run(form.name+"/"+tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					sink := newHeldSink(tt.sinkErr)
					log, c := form.make(sink)
					log()
					<-sink.entered // the drain holds the first record in the sink
					for range 49 {
						log()
					}
					ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
					defer cancel()
					start := time.Now()
					err := c.Close(ctx)
					if waited := time.Since(start); waited != 100*time.Millisecond {
						t.Errorf("Close returned after %v, want its 100ms deadline", waited)
					}
					if err == nil || err.Error() != wantErr || !errors.Is(err, context.DeadlineExceeded) {
						t.Fatalf("Close = %v, want %q", err, wantErr)
					}
					st := c.Stats()
					if diff := cmp.Diff(closeCounts{Accepted: 50, Lost: 49, InFlight: 1}, closeCountsOf(st)); diff != "" || !conserved(st) {
						t.Fatalf("Stats after Close (-want +got):\n%s\n%+v", diff, st)
					}
					if tt.returns {
						close(sink.release)
						synctest.Wait() // the sink returned; the drain goroutine has exited
					} else {
						time.Sleep(time.Hour)
						defer close(sink.release) // let the bubble end
					}
					want, wantCalls := tt.wantAfter, int64(1)
					if tt.sinkErr != nil {
						want.WriteErrors += uint64(form.retries)
						wantCalls += int64(form.retries)
					}
					st = c.Stats()
					if diff := cmp.Diff(want, closeCountsOf(st)); diff != "" || !conserved(st) {
						t.Errorf("Stats once the sink returned or not (-want +got):\n%s\n%+v", diff, st)
					}
					if err2 := c.Close(context.Background()); err2 == nil || err2.Error() != wantErr {
						t.Errorf("second Close = %v, want the first outcome", err2)
					}
					if n := sink.calls.Load(); n != wantCalls {
						t.Errorf("the sink got %d calls, want %d: only for the record Close left in flight", n, wantCalls)
					}
				})
			})
		}
	}
}

// TestAbandonErrorText checks Close's error for each mix of lost and
// in-flight records, with "record" singular for one.
func TestAbandonErrorText(t *testing.T) {
	cause := context.DeadlineExceeded
	for _, tc := range []struct {
		lost, inFlight int
		want           string
	}{
		{0, 0, ""},
		{1, 0, "async: close: 1 record lost: the sink did not take it before the deadline: context deadline exceeded"},
		{2, 0, "async: close: 2 records lost: the sink did not take them before the deadline: context deadline exceeded"},
		{0, 1, "async: close: 1 record still being written by the sink at the deadline: context deadline exceeded"},
		{0, 3, "async: close: 3 records still being written by the sink at the deadline: context deadline exceeded"},
		{1, 1, "async: close: 1 record lost: the sink did not take it before the deadline; 1 record still being written by the sink: context deadline exceeded"},
		{5, 2, "async: close: 5 records lost: the sink did not take them before the deadline; 2 records still being written by the sink: context deadline exceeded"},
	} {
		err := abandonError(tc.lost, tc.inFlight, cause)
		got := ""
		if err != nil {
			got = err.Error()
			if !errors.Is(err, cause) {
				t.Errorf("abandonError(%d, %d) does not wrap its cause", tc.lost, tc.inFlight)
			}
		}
		if got != tc.want {
			t.Errorf("abandonError(%d, %d) = %q, want %q", tc.lost, tc.inFlight, got, tc.want)
		}
	}
}

// TestFlushErrorText checks Flush's error for each mix of records still
// queued and drops not yet reported, with "record" singular for one.
func TestFlushErrorText(t *testing.T) {
	cause := context.DeadlineExceeded
	for _, tc := range []struct {
		remaining int
		drops     uint64
		want      string
	}{
		{1, 0, "async: Flush: 1 record still queued or being written: context deadline exceeded"},
		{3, 0, "async: Flush: 3 records still queued or being written: context deadline exceeded"},
		{0, 1, "async: Flush: the in-band report of 1 dropped record not yet written: context deadline exceeded"},
		{0, 2, "async: Flush: the in-band report of 2 dropped records not yet written: context deadline exceeded"},
		{1, 1, "async: Flush: 1 record still queued or being written, and the in-band report of 1 dropped record: context deadline exceeded"},
		{4, 5, "async: Flush: 4 records still queued or being written, and the in-band report of 5 dropped records: context deadline exceeded"},
	} {
		start := flushStart{target: uint64(tc.remaining), drops: tc.drops}
		s := flushState{queued: tc.remaining}
		err := s.err(start, cause)
		if got := err.Error(); got != tc.want || !errors.Is(err, cause) {
			t.Errorf("Flush error with %d records and %d drops = %q, want %q wrapping its cause", tc.remaining, tc.drops, got, tc.want)
		}
	}
}
