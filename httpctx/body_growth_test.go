package httpctx

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
)

// TestCaptureGrowsWithBody: the capture buffer grows with what arrives,
// never past the limit: a tiny body costs a tiny buffer whatever MaxBytes
// is, and the bytes kept are exactly the first MaxBytes.
func TestCaptureGrowsWithBody(t *testing.T) {
	for _, tc := range []struct {
		name       string
		max        int
		chunks     []int
		wantMaxCap int
	}{
		{"5 bytes, 1 MiB limit", 1 << 20, []int{5}, minCaptureCap},
		{"1 byte at a time", 1 << 20, []int{1, 1, 1, 1, 1, 1, 1, 1}, minCaptureCap},
		{"grows by doubling", 1 << 20, []int{60, 60, 60}, 256},
		{"capped at the limit", 100, []int{60, 60, 60}, 100},
		{"one write past the limit", 4096, []int{10000}, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &bodyCapture{opts: &BodyOptions{}, max: tc.max, decided: true}
			var all []byte
			for i, n := range tc.chunks {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				all = append(all, p...)
				c.observe(p, nil)
			}
			want := all[:min(len(all), tc.max)]
			if !bytes.Equal(c.buf, want) {
				t.Errorf("captured %q, want %q", c.buf, want)
			}
			if cap(c.buf) > tc.wantMaxCap {
				t.Errorf("buffer capacity %d, want at most %d", cap(c.buf), tc.wantMaxCap)
			}
		})
	}
}

// TestCaptureSmallBodyHeap: capturing many tiny bodies with a 1 MiB limit
// allocates about their size, not the limit.
func TestCaptureSmallBodyHeap(t *testing.T) {
	const bodies = 1000
	const bound = bodies * 2 * minCaptureCap
	opts := &BodyOptions{MaxBytes: 1 << 20}
	p := []byte("hello")
	// The lowest of up to three measures: TotalAlloc counts what every
	// goroutine allocates, and one of another test may run meanwhile.
	alloc, _ := logtest.Measure(3, func() int64 {
		captures := make([]*bodyCapture, bodies)
		for i := range captures {
			captures[i] = newBodyCapture(opts, "text/plain", "")
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, c := range captures {
			c.observe(p, nil)
		}
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(captures)
		return int64(after.TotalAlloc - before.TotalAlloc)
	}, func(lowest, _ int64) bool { return lowest <= bound })
	if perBody := alloc / bodies; alloc > bound {
		t.Errorf("%d bytes allocated per 5-byte body, want at most %d", perBody, 2*minCaptureCap)
	}
}
