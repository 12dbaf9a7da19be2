package slogstack

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestStackHealthySinkLosesNothing logs from 4x GOMAXPROCS producers at full
// speed, with 2x GOMAXPROCS goroutines burning CPU beside them, through the
// default stack (every request sampled) into a real file: a healthy sink,
// so no record may be dropped, and every record must be in the file once.
// With a small queue the producers fill it at once: the property holds for
// any queue size, since a full queue with a sink making progress waits on
// the sink instead of dropping.
func TestStackHealthySinkLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity int
	}{{"default queue", 0}, {"small queue", 256}} {
		t.Run(tc.name, func(t *testing.T) { healthySink(t, tc.capacity) })
	}
}

func healthySink(t *testing.T, capacity int) {
	leakcheck.Check(t)
	path := filepath.Join(t.TempDir(), "app.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := DefaultConfig()
	cfg.SamplingPolicy.Rate = 1
	cfg.AsyncOptions.Capacity = capacity
	s, err := NewStack(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	producers, perProducer := 4*procs, 2000
	stop := make(chan struct{})
	var burners sync.WaitGroup
	for range 2 * procs {
		burners.Go(func() {
			x := uint64(1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for range 10000 { // work between checks
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
		})
	}
	bounded(t, 120*time.Second, func() {
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				l := s.Logger().With("producer", p)
				for i := range perProducer {
					l.Info("request handled", "i", i, "method", "GET", "path", "/api/v1/orders", "status", 200)
				}
			})
		}
		wg.Wait()
		close(stop)
		burners.Wait()
		if err := s.Shutdown(t.Context()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	st := s.Stats()
	if st.Async == nil || st.Async.Dropped != 0 || st.Async.Failed != 0 || st.Async.Lost != 0 {
		t.Errorf("async dropped, failed or lost records with a healthy sink: %+v", st.Async)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	seen := make([][]int, producers)
	for p := range seen {
		seen[p] = make([]int, perProducer)
	}
	sc := bufio.NewScanner(rf)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lines := 0
	for sc.Scan() {
		var rec struct {
			Msg      string `json:"msg"`
			Producer int    `json:"producer"`
			I        int    `json:"i"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", lines+1, err, sc.Text())
		}
		lines++
		if rec.Msg != "request handled" {
			t.Errorf("unexpected line: %s", sc.Text())
			continue
		}
		seen[rec.Producer][rec.I]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	missing, duplicated := 0, 0
	for p := range seen {
		for _, n := range seen[p] {
			switch {
			case n == 0:
				missing++
			case n > 1:
				duplicated++
			}
		}
	}
	if want := producers * perProducer; lines != want || missing != 0 || duplicated != 0 {
		t.Errorf("file has %d lines, want %d; %d records missing, %d written twice; stats %+v", lines, want, missing, duplicated, st.Async)
	}
}
