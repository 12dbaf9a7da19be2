package httpctx

import (
	"bytes"
	"runtime"
	"testing"
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
	opts := &BodyOptions{MaxBytes: 1 << 20}
	captures := make([]*bodyCapture, bodies)
	for i := range captures {
		captures[i] = newBodyCapture(opts, "text/plain", "")
	}
	p := []byte("hello")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, c := range captures {
		c.observe(p, nil)
	}
	runtime.ReadMemStats(&after)
	if perBody := (after.TotalAlloc - before.TotalAlloc) / bodies; perBody > 2*minCaptureCap {
		t.Errorf("%d bytes allocated per 5-byte body, want at most %d", perBody, 2*minCaptureCap)
	}
	runtime.KeepAlive(captures)
}
