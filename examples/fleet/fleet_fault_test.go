package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// killingService writes, in dir, a service binary that runs the real one
// and, for the instance victim, kills it with SIGKILL a second after it
// started: a service that dies in the middle of the run.
func killingService(t *testing.T, real, victim string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the killing service is a shell script")
	}
	q := "'" + strings.ReplaceAll(real, "'", `'\''`) + "'"
	script := strings.Join([]string{
		"#!/bin/sh",
		`if [ "$OTEL_SERVICE_NAME" != ` + victim + ` ]; then exec ` + q + ` "$@"; fi`,
		q + ` "$@" &`,
		"sleep 1",
		"kill -9 $!",
		"wait $!",
		"",
	}, "\n")
	path := filepath.Join(t.TempDir(), "killing-service")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServiceKilledMidRun kills the second of two services with SIGKILL
// during the load: the fleet still shuts down and reports, and the verdict
// is FAILED naming the service that died and wrote no report (its
// records cannot be accounted for), its counters unknown ("-") rather
// than zeros that would read as a loss or a success; the other service's
// accounting still holds.
func TestServiceKilledMidRun(t *testing.T) {
	c := testConfig(2*time.Second, 0, 50)
	c.services = 2
	c.serviceBin = killingService(t, serviceBinary(t), "service-1")
	c.outDir = t.TempDir()
	run, err := runFleet(t.Context(), c, io.Discard)
	if err != nil {
		t.Fatalf("the fleet did not report: %v", err)
	}
	rep := analyze(run)
	var out strings.Builder
	rep.print(&out)
	t.Logf("report:\n%s", out.String())
	f := rep.failures()
	const died = "service-1 died before the shutdown and wrote no report (exit: exit status 137: "
	found := false
	for _, s := range f {
		found = found || strings.HasPrefix(s, died) && strings.HasSuffix(s, "): its records cannot be accounted for")
	}
	if !found {
		t.Errorf("failures %q: none says %q…", f, died)
	}
	if !strings.Contains(out.String(), "\nfleet: FAILED: ") {
		t.Errorf("the verdict is not FAILED")
	}
	for _, want := range []string{
		`\n +exported +\d+ +-\n`,
		`\n +accounted for +ok +NO\n`,
		`\nservice-1: wrote no report\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("the report has no line matching %q", want)
		}
	}
	if s := rep.services[0]; s.noReport != "" || !s.accountedExactly() {
		t.Errorf("service-0: report %q, accounted exactly %v", s.noReport, s.accountedExactly())
	}
}
