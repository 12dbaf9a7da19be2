package async

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestOptionsResolve: fields whose zero has no meaning (Capacity,
// MaxBytes, BatchSize, BatchBytes) take the type's default when zero or
// negative; Reserved, ReportInterval and StallTimeout keep zero, treat a
// negative value as zero, and Reserved stays below Capacity.
func TestOptionsResolve(t *testing.T) {
	defaults := func(capacity int) Options {
		return Options{Capacity: capacity, MaxBytes: 8 << 20, BatchSize: min(512, capacity), BatchBytes: 256 << 10}
	}
	tests := []struct {
		name     string
		opts     Options
		capacity int // the type's default
		want     Options
	}{
		{"zero, Handler", Options{}, defaultCapacity, defaults(8192)},
		{"zero, Writer", Options{}, defaultWriterCapacity, defaults(32768)},
		{"negative", Options{Capacity: -1, Reserved: -1, MaxBytes: -1, BatchSize: -1, BatchBytes: -1, ReportInterval: -1, StallTimeout: -1}, defaultCapacity, defaults(8192)},
		{"capacity clamped", Options{Capacity: 1 << 40}, defaultCapacity, defaults(1 << 24)},
		{"batch clamped to the capacity", Options{Capacity: 100, BatchSize: 1 << 40}, defaultCapacity, defaults(100)},
		{"batch clamped to its bound", Options{Capacity: 1 << 20, BatchSize: 1 << 40}, defaultCapacity, func() Options { o := defaults(1 << 20); o.BatchSize = 1 << 16; return o }()},
		{"reserve kept", Options{Capacity: 64, Reserved: 8}, defaultCapacity, func() Options { o := defaults(64); o.Reserved = 8; return o }()},
		{"reserve clamped to half the capacity", Options{Capacity: 64, Reserved: 33}, defaultCapacity, func() Options { o := defaults(64); o.Reserved = 32; return o }()},
		{"reserve above a default capacity", Options{Reserved: 1 << 20}, defaultWriterCapacity, func() Options { o := defaults(32768); o.Reserved = 16384; return o }()},
		{"DefaultOptions' reserve on a small queue", func() Options { o := DefaultOptions(); o.Capacity = 64; return o }(), defaultCapacity, Options{Capacity: 64, Reserved: 32, MaxBytes: 8 << 20, BatchSize: 64, BatchBytes: 256 << 10, ReportInterval: time.Second, StallTimeout: time.Second}},
		{"durations kept", Options{ReportInterval: time.Millisecond, StallTimeout: time.Minute}, defaultCapacity, func() Options {
			o := defaults(8192)
			o.ReportInterval, o.StallTimeout = time.Millisecond, time.Minute
			return o
		}()},
		{"DefaultOptions, Handler", DefaultOptions(), defaultCapacity, Options{Capacity: 8192, Reserved: 1024, MaxBytes: 8 << 20, BatchSize: 512, BatchBytes: 256 << 10, ReportInterval: time.Second, StallTimeout: time.Second}},
		{"DefaultOptions, Writer", DefaultOptions(), defaultWriterCapacity, Options{Capacity: 32768, Reserved: 1024, MaxBytes: 8 << 20, BatchSize: 512, BatchBytes: 256 << 10, ReportInterval: time.Second, StallTimeout: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.opts.withDefaults(tt.capacity)); diff != "" {
				t.Fatalf("resolved options (-want +got):\n%s", diff)
			}
		})
	}
}

// TestZeroOptionsBehave: what Reserved, ReportInterval and StallTimeout
// do at zero, negative, and set, seen from the outside. A Handler of
// Capacity 4 whose sink is stuck on a first record gets one WARN, then
// eight DEBUG records; then the sink resumes and the Handler is closed.
func TestZeroOptionsBehave(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		wantWait    time.Duration // how long the 9 log calls took (synctest's clock)
		wantWritten []string
		wantDropped LevelCounts
		wantReports uint64
	}{
		{
			name:        "zero: no reserve, no report, no waiting",
			opts:        Options{Capacity: 4},
			wantWritten: []string{"first", "d4", "d5", "d6", "d7"},
			wantDropped: LevelCounts{Debug: 4, Warn: 1},
		},
		{
			name:        "negative is zero",
			opts:        Options{Capacity: 4, Reserved: -1, ReportInterval: -time.Second, StallTimeout: -time.Second},
			wantWritten: []string{"first", "d4", "d5", "d6", "d7"},
			wantDropped: LevelCounts{Debug: 4, Warn: 1},
		},
		{
			name:        "reserve of one keeps the WARN",
			opts:        Options{Capacity: 4, Reserved: 1},
			wantWritten: []string{"first", "w", "d5", "d6", "d7"},
			wantDropped: LevelCounts{Debug: 5},
		},
		{
			name:        "reserve at capacity is clamped to half",
			opts:        Options{Capacity: 4, Reserved: 4},
			wantWritten: []string{"first", "w", "d6", "d7"},
			wantDropped: LevelCounts{Debug: 6},
		},
		{
			name:        "report interval: one in-band report",
			opts:        Options{Capacity: 4, ReportInterval: time.Second},
			wantWritten: []string{"first", dropReportMessage, "d4", "d5", "d6", "d7"}, // where the gap is
			wantDropped: LevelCounts{Debug: 4, Warn: 1},
			wantReports: 1,
		},
		{
			name:        "stall timeout: callers wait that long once, then drop",
			opts:        Options{Capacity: 4, StallTimeout: time.Second},
			wantWait:    time.Second,
			wantWritten: []string{"first", "d4", "d5", "d6", "d7"},
			wantDropped: LevelCounts{Debug: 4, Warn: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := &messageSink{gate: make(chan struct{})}
				h := NewHandler(sink, tt.opts)
				l := slog.New(h)
				l.Info("first")
				synctest.Wait() // the drain holds "first" in the sink
				start := time.Now()
				l.Warn("w")
				for _, m := range []string{"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"} {
					l.Debug(m)
				}
				if waited := time.Since(start); waited != tt.wantWait {
					t.Errorf("log calls took %v, want %v", waited, tt.wantWait)
				}
				close(sink.gate)
				closeNow(t, h)
				if diff := cmp.Diff(tt.wantWritten, sink.msgs); diff != "" {
					t.Errorf("records written (-want +got):\n%s", diff)
				}
				st := h.Stats()
				if st.DroppedByLevel != tt.wantDropped || st.Reports != tt.wantReports {
					t.Errorf("Stats = %+v, want DroppedByLevel %+v Reports %d", st, tt.wantDropped, tt.wantReports)
				}
			})
		})
	}
}

// messageSink records the messages it handles; its first Handle waits for
// gate.
type messageSink struct {
	gate   chan struct{}
	msgs   []string // written by the drain goroutine only
	waited bool
}

func (s *messageSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *messageSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *messageSink) WithGroup(string) slog.Handler            { return s }
func (s *messageSink) Handle(_ context.Context, r slog.Record) error {
	if !s.waited {
		s.waited = true
		<-s.gate
	}
	s.msgs = append(s.msgs, r.Message)
	return nil
}

// TestNilNextPanics: a nil next handler or writer panics at construction,
// with a message naming the package and constructor.
func TestNilNextPanics(t *testing.T) {
	tests := []struct {
		name string
		new  func()
		want string
	}{
		{"NewHandler", func() { NewHandler(nil, DefaultOptions()) }, "async: NewHandler: nil next handler"},
		{"NewWriter", func() { NewWriter(nil, DefaultOptions()) }, "async: NewWriter: nil writer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if got := recover(); got != tt.want {
					t.Fatalf("panic = %v, want %q", got, tt.want)
				}
			}()
			tt.new()
		})
	}
}
