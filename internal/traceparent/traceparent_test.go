package traceparent

import (
	"strings"
	"testing"

	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

const (
	validTP   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	invalidTP = "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		ok      bool
		sampled bool
	}{
		{validTP, true, true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", true, true}, // unknown flag bits ignored
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, true}, // a later version
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", true, true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false, false}, // version 00 is exactly 55
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, false},
		{"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, false}, // upper case
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", false, false},
		{invalidTP, false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, false},
		{"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01", false, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false, false}, // short trace ID
		{"", false, false},
		{"00", false, false},
		{strings.Repeat("-", 55), false, false},
	} {
		sc, ok := Parse(tc.in)
		if ok != tc.ok {
			t.Errorf("Parse(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			if sc.IsValid() {
				t.Errorf("Parse(%q) returned a valid span context with ok=false", tc.in)
			}
			continue
		}
		if got := sc.TraceID().String(); got != tc.in[3:35] {
			t.Errorf("trace ID %q, want %q", got, tc.in[3:35])
		}
		if got := sc.SpanID().String(); got != tc.in[36:52] {
			t.Errorf("span ID %q, want %q", got, tc.in[36:52])
		}
		if sc.IsSampled() != tc.sampled || !sc.IsRemote() {
			t.Errorf("%q: sampled=%v remote=%v, want sampled=%v remote=true", tc.in, sc.IsSampled(), sc.IsRemote(), tc.sampled)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(1000, func() { _, _ = Parse(validTP) }); n != 0 {
		t.Errorf("Parse allocates %v times, want 0", n)
	}
}

// FuzzParse checks that parsing never panics and that whatever it
// accepts is well formed: the IDs it returns are valid and are the lower-case
// hex digits of the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{validTP, invalidTP, "", "00-", "ff-" + validTP[3:], "01-" + validTP[3:] + "-x", strings.ToUpper(validTP)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, ok := Parse(s)
		if !ok {
			if sc.IsValid() {
				t.Fatalf("%q: not ok but a valid span context", s)
			}
			return
		}
		if !sc.IsValid() || !sc.IsRemote() {
			t.Fatalf("%q: accepted but span context invalid or not remote", s)
		}
		if len(s) < 55 || s[3:35] != sc.TraceID().String() || s[36:52] != sc.SpanID().String() {
			t.Fatalf("%q: IDs %s/%s do not match the input", s, sc.TraceID(), sc.SpanID())
		}
		if s[:2] == "00" && len(s) != 55 {
			t.Fatalf("%q: version 00 accepted with length %d", s, len(s))
		}
		if sc.TraceFlags()&^trace.FlagsSampled != 0 {
			t.Fatalf("%q: flags %v beyond the sampled bit", s, sc.TraceFlags())
		}
		if !reqscope.ValidID(sc.TraceID().String()) {
			t.Fatalf("%q: trace ID is not a valid correlation ID", s)
		}
	})
}
