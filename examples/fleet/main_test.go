package main

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseFlags checks the defaults and that each bad flag is refused
// with a message naming it.
func TestParseFlags(t *testing.T) {
	got, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{services: 3, load: 10 * time.Second, clients: 16, rate: 100, steps: 3, failEvery: 20, headEvery: 4}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(config{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-services", "0"}, "-services 0: must be at least 1"},
		{[]string{"-load", "0s"}, "-load 0s: must be positive"},
		{[]string{"-load", "4s", "-outage", "2s"}, "-outage 2s: must be 0 or less than half of -load (4s), so that the same length of load precedes it"},
		{[]string{"-outage", "-1s"}, "-outage -1s: must be 0 or less than half of -load (10s), so that the same length of load precedes it"},
		{[]string{"-clients", "0"}, "-clients 0: must be at least 1"},
		{[]string{"-rate", "0"}, "-rate 0: must be more than 0 and at most 100000"},
		{[]string{"-rate", "NaN"}, "-rate NaN: must be more than 0 and at most 100000"},
		{[]string{"-steps", "1001"}, "-steps 1001: must be from 0 to 1000"},
		{[]string{"-fail-every", "0"}, "-fail-every 0: must be at least 1"},
		{[]string{"-head-every", "-1"}, "-head-every -1: must be 0 (no lookups) or more"},
		{[]string{"extra"}, `unexpected arguments: ["extra"]`},
		{[]string{"-services", "0", "-clients", "0"}, "-services 0: must be at least 1\n-clients 0: must be at least 1"},
	} {
		_, err := parseFlags(tt.args, io.Discard)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error %v, want %q", tt.args, err, tt.want)
		}
	}
}
