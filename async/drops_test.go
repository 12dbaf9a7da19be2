package async

import (
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
