package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// faultyService writes a service binary that runs the real one and, for
// the instance victim, sends it signal (KILL: it dies; STOP: it stalls) a
// second after it started: a service that fails in the middle of the run.
func faultyService(t *testing.T, real, victim, signal string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the faulty service is a shell script")
	}
	q := "'" + strings.ReplaceAll(real, "'", `'\''`) + "'"
	script := strings.Join([]string{
		"#!/bin/sh",
		// The script becomes the service (exec), so that the fleet's
		// signals reach the service itself.
		`if [ "$OTEL_SERVICE_NAME" = ` + victim + ` ]; then (sleep 1; kill -` + signal + ` $$) & fi`,
		"exec " + q + ` "$@"`,
		"",
	}, "\n")
	path := filepath.Join(t.TempDir(), "faulty-service")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// runFaultyFleet runs two services for 2s, the second one sent signal a
// second after it started, and returns the report and its text.
func runFaultyFleet(t *testing.T, signal string) (*fleetReport, string) {
	t.Helper()
	c := testConfig(2*time.Second, 0, 50)
	c.services = 2
	c.serviceBin = faultyService(t, serviceBinary(t), "service-1", signal)
	c.outDir = t.TempDir()
	run, err := runFleet(fleetContext(t), c, io.Discard)
	if err != nil {
		t.Fatalf("the fleet did not report: %v", err)
	}
	rep := analyze(run)
	var out strings.Builder
	rep.print(&out)
	t.Logf("report:\n%s", out.String())
	return rep, out.String()
}

// checkNoReport checks that the report's verdict is FAILED and says that
// service-1 wrote no report, with its exit status starting with exit,
// its counters unknown ("-") rather than zeros that would read as a loss
// or a success, and that service-0's accounting still holds.
func checkNoReport(t *testing.T, rep *fleetReport, out, exit string) {
	t.Helper()
	f := rep.failures()
	want := "service-1: wrote no report (exit: " + exit
	found := false
	for _, s := range f {
		found = found || strings.HasPrefix(s, want) && strings.HasSuffix(s, "): its records cannot be accounted for")
	}
	if !found {
		t.Errorf("failures %q: none says %q…", f, want)
	}
	for _, want := range []string{
		`\n +exported +\d+ +-\n`,
		`\n +accounted for +ok +NO\n`,
		`\nservice-1: wrote no report\n`,
		`\nfleet: FAILED: .+\n$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the report has no line matching %q", want)
		}
	}
	if s := rep.services[0]; s.noReport != "" || !s.accountedExactly() {
		t.Errorf("service-0: report %q, accounted exactly %v", s.noReport, s.accountedExactly())
	}
}

// TestServiceKilledMidRun kills the second of two services with SIGKILL
// during the load: the fleet still shuts down and reports, and the verdict
// is FAILED naming the service that died and wrote no report.
func TestServiceKilledMidRun(t *testing.T) {
	rep, out := runFaultyFleet(t, "KILL")
	checkNoReport(t, rep, out, "signal: killed: ")
}

// TestServiceStalledMidRun stops the second of two services with SIGSTOP
// during the load: the callers' requests end at their timeout, the load at
// its end, the stalled service is killed when it does not exit on SIGTERM,
// and the verdict is FAILED naming it.
func TestServiceStalledMidRun(t *testing.T) {
	defer func(r, s time.Duration) { requestTimeout, serviceStopTimeout = r, s }(requestTimeout, serviceStopTimeout)
	requestTimeout, serviceStopTimeout = 500*time.Millisecond, time.Second
	rep, out := runFaultyFleet(t, "STOP")
	checkNoReport(t, rep, out, "killed: no exit within 1s of SIGTERM: ")
	if rep.statuses["error"] == 0 {
		t.Errorf("no request ended at its timeout")
	}
}

// TestRunLoadEndsWhenClientsStall runs a load against a server that never
// answers: the requests end at the client's timeout and the load at its
// end, the requests that found no free client by then not sent and
// counted.
func TestRunLoadEndsWhenClientsStall(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	// Each request waits 300ms, longer than the load: the 2 clients take
	// requests 0 and 1, the queue (as deep as the clients) 2 and 3, and
	// requests 4 to 19 are due while every client waits.
	client := &http.Client{Timeout: 300 * time.Millisecond}
	plan := loadPlan{base: srv.URL, rate: 100, duration: 200 * time.Millisecond, clients: 2, steps: 1, failEvery: 10}
	reqs, unsent := runLoad(context.Background(), client, plan, "stall")
	var got []string
	for _, q := range reqs {
		if q.err == nil {
			t.Errorf("%s: answered %d, want the client's timeout", q.id, q.status)
		}
		got = append(got, q.id)
	}
	want := []string{"fleet-stall-000000", "fleet-stall-000001", "fleet-stall-000002", "fleet-stall-000003"}
	if diff := cmp.Diff(want, got); diff != "" || unsent != 16 {
		t.Errorf("requests sent (-want +got):\n%s; %d not sent, want 16", diff, unsent)
	}
}
