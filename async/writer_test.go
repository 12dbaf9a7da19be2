package async

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// callRecorder remembers every Write call separately; it can be gated, and
// can fail or panic at random.
type callRecorder struct {
	mu     sync.Mutex
	calls  [][]byte
	gate   chan struct{}
	errP   float64
	panicP float64
	stallP float64 // probability of a short stall per call (yielding the processor)
}

func (w *callRecorder) Write(p []byte) (int, error) {
	if w.gate != nil {
		<-w.gate
	}
	if w.stallP > 0 && rand.Float64() < w.stallP {
		stallBriefly()
	}
	if w.panicP > 0 && rand.Float64() < w.panicP {
		panic("writer exploded")
	}
	w.mu.Lock()
	w.calls = append(w.calls, bytes.Clone(p))
	w.mu.Unlock()
	if w.errP > 0 && rand.Float64() < w.errP {
		return len(p), errors.New("random write failure")
	}
	return len(p), nil
}

func (w *callRecorder) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.Join(w.calls, nil))
}

func TestWriterBatchesWholeLines(t *testing.T) {
	leakcheck.Check(t)
	rec := &callRecorder{gate: make(chan struct{})}
	w := NewWriter(rec, Options{BatchBytes: 100})
	var want strings.Builder
	for i := range 40 {
		line := fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i%30))
		want.WriteString(line)
		if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(line))
		}
	}
	big := strings.Repeat("y", 250) + "\n" // larger than BatchBytes: written alone
	want.WriteString(big)
	w.Write([]byte(big))
	close(rec.gate)
	closeNow(t, w)
	if diff := cmp.Diff(want.String(), rec.all()); diff != "" {
		t.Fatalf("bytes written (-want +got):\n%s", diff)
	}
	for i, c := range rec.calls {
		if len(c) > 100 && string(c) != big {
			t.Errorf("Write call %d has %d bytes, over BatchBytes 100", i, len(c))
		}
		if !bytes.HasSuffix(c, []byte("\n")) {
			t.Errorf("Write call %d splits a line: %q", i, c)
		}
	}
	st := w.Stats()
	if st.Accepted != 41 || st.Written != 41 || st.WrittenBytes != uint64(want.Len()) || st.AcceptedBytes != uint64(want.Len()) {
		t.Fatalf("Stats = %+v", st)
	}
	if st.Batches != uint64(len(rec.calls)) || len(rec.calls) < 2 {
		t.Fatalf("Batches %d, Write calls %d", st.Batches, len(rec.calls))
	}
}

// TestWriterReportsDropsByLevel: with the writer stuck on the first line,
// 40 lines of four levels into a queue of 10 drop exactly the oldest 30;
// one in-band report announces them by level, bytes and time range, as
// Stats counts them.
func TestWriterReportsDropsByLevel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &callRecorder{gate: make(chan struct{})}
		w := NewWriter(rec, Options{Capacity: 10, ReportInterval: time.Second})
		l := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
		l.Info("first")
		synctest.Wait() // the drain has taken "first" and waits on the gate
		levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
		for i := range 40 {
			l.Log(context.Background(), levels[i%4], "m", "i", i)
		}
		close(rec.gate)
		closeNow(t, w)
		st := w.Stats()
		var reports []map[string]any
		var written []float64
		for _, m := range logtest.DecodeLines(t, rec.all()) {
			if m["msg"] == dropReportMessage {
				reports = append(reports, m)
			} else if i, ok := m["i"].(float64); ok {
				written = append(written, i)
			}
		}
		if diff := cmp.Diff([]float64{30, 31, 32, 33, 34, 35, 36, 37, 38, 39}, written); diff != "" {
			t.Fatalf("queued lines written (-want +got):\n%s", diff)
		}
		if len(reports) != 1 {
			t.Fatalf("got %d drop reports, want 1", len(reports))
		}
		r := reports[0]
		wantByLevel := LevelCounts{Debug: 8, Info: 8, Warn: 7, Error: 7} // i = 0..29
		if r["level"] != "WARN" || r["dropped"] != float64(30) || st.Dropped != 30 || st.DroppedByLevel != wantByLevel {
			t.Fatalf("report %v, Stats %+v; want 30 dropped, by level %+v", r, st, wantByLevel)
		}
		byLevel := r["dropped_by_level"].(map[string]any)
		got := LevelCounts{
			Debug: uint64(byLevel["DEBUG"].(float64)), Info: uint64(byLevel["INFO"].(float64)),
			Warn: uint64(byLevel["WARN"].(float64)), Error: uint64(byLevel["ERROR"].(float64)),
		}
		if diff := cmp.Diff(st.DroppedByLevel, got); diff != "" {
			t.Fatalf("report by level vs Stats (-stats +report):\n%s", diff)
		}
		if uint64(r["dropped_bytes"].(float64)) != st.DroppedBytes {
			t.Fatalf("report bytes %v, Stats %d", r["dropped_bytes"], st.DroppedBytes)
		}
		first, err1 := time.Parse(time.RFC3339Nano, r["first_dropped"].(string))
		last, err2 := time.Parse(time.RFC3339Nano, r["last_dropped"].(string))
		if err1 != nil || err2 != nil || last.Before(first) {
			t.Fatalf("time range %v..%v (%v, %v)", r["first_dropped"], r["last_dropped"], err1, err2)
		}
		if st.Written != 11 || st.Accepted != 41 || st.Reports != 1 || st.Reported != 30 {
			t.Fatalf("Stats %+v, want Written 11 Accepted 41", st)
		}
	})
}

func TestWriterOversizeWriteIsDroppedAndCounted(t *testing.T) {
	leakcheck.Check(t)
	rec := &callRecorder{}
	w := NewWriter(rec, Options{MaxBytes: 64, ReportInterval: time.Second})
	line := []byte(`{"time":"2026-01-02T03:04:05Z","level":"ERROR","msg":"` + strings.Repeat("z", 100) + "\"}\n")
	if n, err := w.Write(line); n != len(line) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	w.Write([]byte("small\n"))
	closeNow(t, w)
	st := w.Stats()
	want := Stats{Accepted: 2, Written: 1, Dropped: 1, DroppedByLevel: LevelCounts{Error: 1}, Reported: 1, Reports: 1, Batches: st.Batches,
		AcceptedBytes: uint64(len(line) + 6), WrittenBytes: 6, DroppedBytes: uint64(len(line)), HighWater: st.HighWater}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Fatalf("Stats (-want +got):\n%s", diff)
	}
	out := rec.all()
	if !strings.Contains(out, "small\n") || !strings.Contains(out, `"first_dropped":"2026-01-02T03:04:05Z"`) {
		t.Fatalf("output %q", out)
	}
}

func TestWriterErrorsAndPanicsAreSurvived(t *testing.T) {
	leakcheck.Check(t)
	rec := &callRecorder{errP: 0.3, panicP: 0.3}
	w := NewWriter(rec, Options{BatchBytes: 16})
	for i := range 200 {
		fmt.Fprintf(w, "%d\n", i)
	}
	closeNow(t, w)
	st := w.Stats()
	if st.Written+st.Failed != 200 || st.WriteErrors == 0 || st.SinkPanics == 0 {
		t.Fatalf("Stats = %+v, want Written+Failed 200 and some errors and panics", st)
	}
	// A panicking call writes nothing and is retried; an error comes with
	// every byte written. The output holds exactly the written records.
	if lines := strings.Count(rec.all(), "\n"); uint64(lines) != st.Written {
		t.Fatalf("%d lines written, Stats %+v", lines, st)
	}
}

func TestWriterCloseTwiceAndWriteAfterClose(t *testing.T) {
	leakcheck.Check(t)
	rec := &callRecorder{}
	w := NewWriter(rec, Options{})
	w.Write([]byte("a\n"))
	closeNow(t, w)
	closeNow(t, w)
	if n, err := w.Write([]byte("b\n")); n != 2 || err != nil {
		t.Fatalf("Write after Close = %d, %v", n, err)
	}
	if got := rec.all(); got != "a\nb\n" {
		t.Fatalf("output %q", got)
	}
	if st := w.Stats(); st.Accepted != 1 || st.Written != 1 || st.Synchronous != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestWriterConservationUnderChaos: 64 producers log through
// slog.JSONHandler into a Writer whose writer stalls and fails at random;
// Close comes at a random point while they keep logging.
func TestWriterConservationUnderChaos(t *testing.T) {
	leakcheck.Check(t)
	const producers = chaosProducers
	perProducer := chaosPerProducer()
	rec := &callRecorder{errP: 0.1, stallP: 0.05}
	w := NewWriter(rec, Options{Capacity: 256, BatchBytes: 4096, ReportInterval: time.Millisecond})
	l := slog.New(slog.NewJSONHandler(w, nil))
	logWhileClosing(t, l, w.Close)
	st := w.Stats()
	if st.Accepted+st.Synchronous != producers*uint64(perProducer) || st.Written+st.Failed+st.Dropped != st.Accepted || st.DroppedAfterClose != 0 {
		t.Fatalf("conservation broken: %+v", st)
	}
	seqs := map[int64][]int64{}
	var reported uint64
	var records uint64
	dec := json.NewDecoder(strings.NewReader(rec.all()))
	for {
		var m struct {
			Msg     string
			P, N    int64
			Dropped uint64
		}
		if err := dec.Decode(&m); err != nil {
			break
		}
		if m.Msg == dropReportMessage {
			reported += m.Dropped
			continue
		}
		records++
		seqs[m.P] = append(seqs[m.P], m.N)
	}
	if records != st.Written+st.Synchronous || reported != st.Dropped || st.Reported != st.Dropped {
		t.Fatalf("lines %d, reported drops %d; Stats %+v", records, reported, st)
	}
	checkOrder(t, seqs)
}

// FuzzWriterKeepsBytes splits the input into Writes (at each 0xFF byte) and
// checks that the underlying writer receives exactly their concatenation,
// each Write's bytes contiguous within one underlying Write call, with
// small batch bounds so that batching cuts often.
func FuzzWriterKeepsBytes(f *testing.F) {
	f.Add([]byte("a\xffbb\xffccc\n"), uint8(4))
	f.Add([]byte(`{"level":"INFO"}`+"\n\xff"+`{"level":"WARN"}`+"\n"), uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, batch uint8) {
		rec := &callRecorder{}
		w := NewWriter(rec, Options{Capacity: 1 << 16, MaxBytes: 1 << 20, BatchBytes: int(batch) + 1})
		parts := bytes.Split(data, []byte{0xFF})
		var want []byte
		for _, p := range parts {
			if n, err := w.Write(p); n != len(p) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", p, n, err)
			}
			want = append(want, p...)
		}
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := rec.all(); got != string(want) {
			t.Fatalf("underlying writer got %q, want %q", got, want)
		}
		// Every non-empty Write is inside one underlying call: walking the
		// calls, each part must end exactly at or before a call boundary.
		var bounds []int
		off := 0
		for _, c := range rec.calls {
			off += len(c)
			bounds = append(bounds, off)
		}
		pos, bi := 0, 0
		for _, p := range parts {
			if len(p) == 0 {
				continue
			}
			for bi < len(bounds) && bounds[bi] <= pos {
				bi++
			}
			if bi == len(bounds) || pos+len(p) > bounds[bi] {
				t.Fatalf("Write of %d bytes at offset %d split across underlying calls %v", len(p), pos, bounds)
			}
			pos += len(p)
		}
		if st := w.Stats(); st.Dropped != 0 || st.Written+st.Dropped != st.Accepted {
			t.Fatalf("Stats = %+v", st)
		}
	})
}
