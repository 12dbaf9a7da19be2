package async

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestScanLine(t *testing.T) {
	tests := []struct {
		line     string
		wantBand band
		wantTime string
	}{
		{`{"time":"2026-01-02T03:04:05.123Z","level":"INFO","msg":"m"}`, bandInfo, "2026-01-02T03:04:05.123Z"},
		{`{"time":"2026-01-02T03:04:05Z","level":"WARN+2","msg":"m"}`, bandWarn, "2026-01-02T03:04:05Z"},
		{`{"level":"DEBUG-4","msg":"m"}`, bandDebug, ""},
		{`{"level":"ERROR","msg":"m"}`, bandError, ""},
		{`time=2026-01-02T03:04:05Z level=ERROR msg=m`, bandError, "2026-01-02T03:04:05Z"},
		{`plain text`, bandUnknown, ""},
		{`{"time":"unterminated`, bandUnknown, ""},
		{``, bandUnknown, ""},
	}
	for _, tt := range tests {
		b, raw := scanLine([]byte(tt.line))
		if b != tt.wantBand || string(raw) != tt.wantTime {
			t.Errorf("scanLine(%q) = %d, %q; want %d, %q", tt.line, b, raw, tt.wantBand, tt.wantTime)
		}
	}
}

func TestDropTallyMerge(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var older, newer dropTally
	older.addLine(bandInfo, []byte("2026-01-02T03:04:05Z"), 10)
	older.addLine(bandWarn, []byte("2026-01-02T03:04:06Z"), 20)
	newer.addLine(bandError, []byte("2026-01-02T03:04:09Z"), 5)
	var pending dropTally
	older.moveTo(&pending)
	newer.moveTo(&pending)
	if pending.count() != 3 || pending.bytes != 35 || !pending.first.Equal(t0) || !pending.last.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("merged tally: count %d bytes %d first %v last %v", pending.count(), pending.bytes, pending.first, pending.last)
	}
	if older.count() != 0 || newer.count() != 0 {
		t.Fatal("moveTo did not clear its source")
	}
}

func FuzzScanLine(f *testing.F) {
	f.Add([]byte(`{"time":"2026-01-02T03:04:05.123Z","level":"INFO","msg":"m"}`))
	f.Add([]byte(`time=2026-01-02T03:04:05Z level=ERROR msg=m`))
	f.Add([]byte(`"level":"`))
	f.Fuzz(func(t *testing.T, line []byte) {
		b, raw := scanLine(line)
		if b < bandDebug || b > bandUnknown {
			t.Fatalf("band %d out of range", b)
		}
		if len(raw) > lineScanLimit {
			t.Fatalf("time text of %d bytes from a bounded scan", len(raw))
		}
		var tally dropTally
		tally.addLine(b, raw, len(line))
		tally.settle()
		if tally.count() != 1 {
			t.Fatal("tally lost the line")
		}
		_ = tally.attrs(true)
	})
}

// lineBandBySearch is lineBand without its fast path: the first
// "level":" in the line, else the first level=.
func lineBandBySearch(p []byte) band {
	head := p[:min(len(p), lineScanLimit)]
	if i := bytes.Index(head, jsonLevelKey); i >= 0 {
		return bandOfName(head[i+len(jsonLevelKey):])
	}
	if i := bytes.Index(head, textLevelKey); i >= 0 {
		return bandOfName(head[i+len(textLevelKey):])
	}
	return bandUnknown
}

// scanLineBySearch is scanLine without its fast path.
func scanLineBySearch(p []byte) (band, []byte) {
	head := p[:min(len(p), lineScanLimit)]
	b, raw := lineBandBySearch(head), []byte(nil)
	if i := bytes.Index(head, jsonTimeKey); i >= 0 {
		rest := head[i+len(jsonTimeKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			raw = rest[:j]
		}
	} else if i := bytes.Index(head, textTimeKey); i >= 0 {
		rest := head[i+len(textTimeKey):]
		if j := bytes.IndexByte(rest, ' '); j >= 0 {
			raw = rest[:j]
		}
	}
	return b, raw
}

// FuzzLineBand: lineBand and scanLine, which read the time and level of
// a JSON line at the place a JSON handler writes them before searching,
// find the band and time a search of the whole head finds, for every
// line.
func FuzzLineBand(f *testing.F) {
	for _, line := range []string{
		`{"time":"2026-01-02T03:04:05.123Z","level":"INFO","msg":"m"}`,
		`{"time":"2026-01-02T03:04:05.123456789+02:00","level":"WARN","msg":"m"}`,
		`{"time":"level","level":"ERROR"}`,
		`{"time":"x","level":"DEBUG"`,
		`{"time":"x" ,"level":"WARN","level":"INFO"}`,
		`{"time":"","level":"ERROR+2"}`,
		`{"level":"WARN","time":"x"}`,
		`time=2026-01-02T03:04:05Z level=ERROR msg=m`,
		`time=xlevel=WARN level=INFO`,
		`{"time":"` + strings.Repeat("9", 300) + `","level":"WARN"}`,
	} {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if got, want := lineBand(line), lineBandBySearch(line); got != want {
			t.Fatalf("lineBand(%q) = %d, a search finds %d", line, got, want)
		}
		gotBand, gotTime := scanLine(line)
		wantBand, wantTime := scanLineBySearch(line)
		if gotBand != wantBand || !bytes.Equal(gotTime, wantTime) {
			t.Fatalf("scanLine(%q) = %d, %q; a search finds %d, %q", line, gotBand, gotTime, wantBand, wantTime)
		}
	})
}
