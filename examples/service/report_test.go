package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reportNumbers returns the numbers of each row of a text report, by row
// name: "folded by aggregation 12 (into 3 summary records)" is [12 3].
// Only the first two numbers of a row count (a last error's text may hold
// more).
func reportNumbers(t *testing.T, text string) map[string][]uint64 {
	t.Helper()
	rowRE := regexp.MustCompile(`(?m)^([a-z][a-z ]*[a-z])\s{2,}(\d+)\b(.*)$`)
	numRE := regexp.MustCompile(`\b\d+\b`)
	rows := map[string][]uint64{}
	for _, m := range rowRE.FindAllStringSubmatch(text, -1) {
		first, _ := strconv.ParseUint(m[2], 10, 64)
		nums := []uint64{first}
		if more := numRE.FindString(m[3]); more != "" {
			n, _ := strconv.ParseUint(more, 10, 64)
			nums = append(nums, n)
		}
		rows[m[1]] = nums
	}
	return rows
}

// reportJSONFromText is the JSON report the text report's rows say, with
// the service name, the requests and the export's last error, which the
// text does not carry as numbers, given.
func reportJSONFromText(t *testing.T, text, service string, requests uint64, lastError string) reportJSON {
	t.Helper()
	rows := reportNumbers(t, text)
	row := func(name string, i int) uint64 {
		t.Helper()
		if len(rows[name]) <= i {
			t.Fatalf("report row %q has no number %d:\n%s", name, i+1, text)
		}
		return rows[name][i]
	}
	want := reportJSON{
		Service:  service,
		Requests: requests,
		Stack: stackStatsJSON{
			Logged: row("records logged", 0), SampledOut: row("sampled out", 0), Rescued: row("rescued by errors", 0),
			Folded: row("folded by aggregation", 0), Summaries: row("folded by aggregation", 1),
			AsyncDropped: row("dropped by async queue", 0), DropReports: row("dropped by async queue", 1),
		},
		Written:   row("records written", 0),
		Accounted: regexp.MustCompile(`(?m)^accounted for\s+ok\s`).MatchString(text),
	}
	if _, ok := rows["exported"]; ok {
		want.Export = &exportStatsJSON{
			Handed: row("records written", 0), Exported: row("exported", 0), Exports: row("exported", 1),
			Failed: row("export failed", 0), FailedExports: row("export failed", 1),
			Dropped: row("dropped at export", 0), Abandoned: row("abandoned at shutdown", 0),
			LastError: lastError,
		}
		if p, ok := rows["still pending"]; ok {
			want.Export.Pending = p[0]
		}
	}
	if n, ok := rows["still being written"]; ok {
		want.Stack.InFlight = n[0]
	}
	return want
}

// readReportJSON decodes the JSON report at path strictly: every key of
// the schema present, no other key (in_flight only when not 0), export
// present exactly when wantExport.
func readReportJSON(t *testing.T, path string, wantExport bool) reportJSON {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	wantKeys := []string{"accounted", "requests", "service", "stack", "written"}
	if wantExport {
		wantKeys = append(wantKeys, "export")
	}
	slices.Sort(wantKeys)
	if diff := cmp.Diff(wantKeys, slices.Sorted(maps.Keys(keys))); diff != "" {
		t.Errorf("%s: top-level keys (-want +got):\n%s", path, diff)
	}
	sub := map[string][]string{
		"stack":  {"async_dropped", "drop_reports", "folded", "logged", "rescued", "sampled_out", "summaries"},
		"export": {"abandoned", "dropped", "exported", "exports", "failed", "failed_exports", "handed", "last_error", "pending"},
	}
	for name, want := range sub {
		raw, ok := keys[name]
		if !ok {
			continue
		}
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(raw, &inner); err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		if n, ok := inner["in_flight"]; ok && name == "stack" && string(n) != "0" {
			delete(inner, "in_flight") // only when a call into the sink had not returned
		}
		if diff := cmp.Diff(want, slices.Sorted(maps.Keys(inner))); diff != "" {
			t.Errorf("%s: keys of %s (-want +got):\n%s", path, name, diff)
		}
	}
	var rep reportJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return rep
}

// TestReportJSONMatchesText runs the service as a process with
// -report-json, sends it a known number of requests and checks the JSON
// report it writes at exit: the exact schema (no export without
// -otlp-endpoint), the service name from OTEL_SERVICE_NAME, the requests
// its server answered, written equal to its log's lines, and every number
// equal to its text report's.
func TestReportJSONMatchesText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	p := startProc(t, "json", []string{"OTEL_SERVICE_NAME=service-7", "LOG_SAMPLING_RATE=0.5"}, "-report-json", path)
	client := fleetClient(t)
	var calls []*call
	for i := range 40 {
		calls = append(calls, &call{id: fmt.Sprintf("json-work-%02d", i), url: p.url + "/api/v1/work?n=3", want: http.StatusOK})
	}
	for i := range 10 {
		calls = append(calls, &call{id: fmt.Sprintf("json-fail-%02d", i), url: p.url + "/api/v1/fail?n=2", want: http.StatusInternalServerError})
	}
	for range 20 {
		calls = append(calls, &call{url: p.url + "/api/v1/users?ids=1,2,3,4,5,6,7,8,9,10", want: http.StatusOK})
	}
	sendAll(t, client, 4, calls)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the JSON report exists before the service stopped (stat: %v)", err)
	}
	p.stop(t)

	got := readReportJSON(t, path, false)
	want := reportJSONFromText(t, p.stderr.String(), "service-7", uint64(len(calls)), "")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-text report +JSON):\n%s\ntext report:\n%s", diff, p.stderr.String())
	}
	all, _ := p.records(t)
	if got.Written != uint64(len(all)) || !got.Accounted || got.Stack.SampledOut == 0 || got.Stack.Rescued == 0 {
		t.Errorf("JSON report %+v: want written = %d lines, accounted, some sampled out and rescued", got, len(all))
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("temporary files left next to the report: %q", left)
	}
}

// TestReportAccounting checks the text report's accounting and the JSON
// report's accounted flag for the stack's rows and the export's: each
// identity broken alone is a mismatch in both.
func TestReportAccounting(t *testing.T) {
	stats := stackStats{Logged: 100, SampledOut: 50, Rescued: 5, Folded: 20, Summaries: 2, AsyncDropped: 3, DropReports: 1}
	const written = 100 - 50 - 20 + 2 - 3 + 1
	okExport := exportStats{Handed: written, Exported: written - 10, Failed: 4, Dropped: 3, Abandoned: 3, Exports: 7, FailedExports: 2, LastError: "HTTP 500"}
	edit := func(f func(e *exportStats)) *exportStats { e := okExport; f(&e); return &e }
	tests := []struct {
		name     string
		written  uint64
		export   *exportStats
		want     bool
		inFlight uint64 // records the sink is still taking
	}{
		{"log output", written, nil, true, 0},
		{"log output, a line missing", written - 1, nil, false, 0},
		{"log output, a line too many", written + 1, nil, false, 0},
		{"export", written, &okExport, true, 0},
		{"export, one exported too many", written, edit(func(e *exportStats) { e.Exported++ }), false, 0},
		{"export, one failed uncounted", written, edit(func(e *exportStats) { e.Failed-- }), false, 0},
		{"export, one dropped uncounted", written, edit(func(e *exportStats) { e.Dropped-- }), false, 0},
		{"export, one abandoned uncounted", written, edit(func(e *exportStats) { e.Abandoned-- }), false, 0},
		{"export, one pending", written, edit(func(e *exportStats) { e.Exported--; e.Pending++ }), false, 0},
		{"log output, a line still being written", written - 1, nil, true, 1},
		{"log output, a line still being written and one missing", written - 2, nil, false, 1},
		{"export, a record still being written", written - 1, edit(func(e *exportStats) { e.Handed--; e.Exported-- }), true, 1},
		{"export, a record still being written and handed", written, &okExport, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stats := stats
			stats.InFlight = tc.inFlight
			r := report{stats: stats, written: tc.written, export: tc.export, callers: &histogram{}, served: 9}
			var text bytes.Buffer
			r.print(&text)
			if got := r.json().Accounted; got != tc.want {
				t.Errorf("json().Accounted = %v, want %v", got, tc.want)
			}
			lastError := ""
			if tc.export != nil {
				lastError = tc.export.LastError
			}
			want := reportJSONFromText(t, text.String(), serviceName(), 9, lastError)
			if diff := cmp.Diff(want, r.json()); diff != "" {
				t.Errorf("JSON report (-text report +JSON):\n%s\n%s", diff, text.String())
			}
		})
	}
}

// TestReportExportRows checks the export rows of the text report exactly.
func TestReportExportRows(t *testing.T) {
	r := report{
		stats:   stackStats{Logged: 10},
		written: 10,
		export:  &exportStats{Handed: 10, Exported: 6, Failed: 2, Dropped: 1, Abandoned: 1, Exports: 3, FailedExports: 1, LastError: "failed to upload logs: 400 Bad Request"},
		callers: &histogram{},
		output:  "OTLP/HTTP to http://127.0.0.1:4318/v1/logs",
	}
	var text bytes.Buffer
	r.print(&text)
	var got []string
	for line := range strings.Lines(text.String()) {
		got = append(got, strings.Join(strings.Fields(line), " "))
	}
	want := []string{
		"log output OTLP/HTTP to http://127.0.0.1:4318/v1/logs",
		"records logged 10 (handed to the stack)",
		"records written 10 (handed to the OTLP pipeline, summaries included)",
		"sampled out 0 (records of requests not sampled, dropped)",
		"rescued by errors 0 (records of requests not sampled, kept for an error)",
		"folded by aggregation 0 (into 0 summary records)",
		"dropped by async queue 0 (0 in-band drop reports)",
		"exported 6 (accepted by the collector, in 3 exports)",
		"export failed 2 (in 1 failed exports, after retries; last error: failed to upload logs: 400 Bad Request)",
		"dropped at export 1 (the batch queue was full)",
		"abandoned at shutdown 1 (not exported by the shutdown deadline)",
		"accounted for ok (logged - sampled out - folded + summaries - dropped + reports = written = exported + export failed + dropped at export + abandoned at shutdown)",
	}
	if len(got) < 2+len(want) {
		t.Fatalf("report:\n%s", text.String())
	}
	if diff := cmp.Diff(want, got[2:2+len(want)]); diff != "" {
		t.Errorf("report rows (-want +got):\n%s", diff)
	}
}

// TestWriteReportJSON checks that the JSON report replaces the file
// atomically (nothing else left in its directory, readable by others), and
// that a write that cannot be made is an error that leaves nothing.
func TestWriteReportJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("old, longer than the new report would ever be: "+strings.Repeat("x", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := report{stats: stackStats{Logged: 3}, written: 3, served: 2, callers: &histogram{}}
	if err := r.writeJSON(path); err != nil {
		t.Fatal(err)
	}
	if got := readReportJSON(t, path, false); !cmp.Equal(got, r.json()) {
		t.Errorf("read back %+v, want %+v", got, r.json())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the report only", len(entries))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("report mode %v (%v), want 0644", fi.Mode(), err)
	}
	gone := filepath.Join(dir, "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if err := r.writeJSON(filepath.Join(gone, "r.json")); err == nil || !strings.Contains(err.Error(), "report") {
		t.Errorf("writeJSON into a removed directory = %v, want a report error", err)
	}
}
