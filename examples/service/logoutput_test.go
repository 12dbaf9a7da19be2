package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFailedStartLeavesNoFile checks that a start that fails (a bad flag, a
// misspelled LOG_* variable, a busy port) returns its error and leaves no
// log file behind: neither the one -log names nor a temporary one.
func TestFailedStartLeavesNoFile(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	tests := []struct {
		name    string
		env     [2]string
		args    []string
		wantErr string
	}{
		{name: "bad flag", args: []string{"-clients", "0"}, wantErr: "-clients"},
		{name: "misspelled variable", env: [2]string{"LOG_LEVL", "debug"}, wantErr: "did you mean LOG_LEVEL?"},
		{name: "bad variable", env: [2]string{"LOG_FORMAT", "yaml"}, wantErr: "LOG_FORMAT"},
		{name: "port in use", args: []string{"-addr", busy.Addr().String()}, wantErr: "address already in use"},
		{name: "admin port in use", args: []string{"-admin-addr", busy.Addr().String()}, wantErr: "address already in use"},
		{name: "admin address not loopback", args: []string{"-admin-addr", "0.0.0.0:0"}, wantErr: "add -admin-public"},
		{name: "bad downstream", args: []string{"-downstream", "127.0.0.1:8081"}, wantErr: "-downstream"},
		{name: "bad OTLP endpoint", args: []string{"-otlp-endpoint", "127.0.0.1:4318"}, wantErr: "-otlp-endpoint"},
		{name: "report in a missing directory", args: []string{"-report-json", "/nonexistent-dir/r.json"}, wantErr: "-report-json"},
	}
	for _, tc := range tests {
		for _, load := range []string{"0", "1s"} {
			t.Run(tc.name+"/load="+load, func(t *testing.T) {
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				if tc.env[0] != "" {
					t.Setenv(tc.env[0], tc.env[1])
				}
				logPath := filepath.Join(t.TempDir(), "service.log")
				for _, logArgs := range [][]string{{"-log", logPath}, nil} {
					args := append([]string{"-addr", "127.0.0.1:0", "-load", load}, logArgs...)
					args = append(args, tc.args...)
					var stderr bytes.Buffer
					err := run(context.Background(), args, &bytes.Buffer{}, &stderr)
					if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.wantErr) {
						t.Fatalf("run(%q) = %v (stderr %q), want an error with %q", args, err, stderr.String(), tc.wantErr)
					}
					if _, err := os.Stat(logPath); !os.IsNotExist(err) {
						t.Errorf("run(%q) left %s behind (stat: %v)", args, logPath, err)
					}
					if left, _ := os.ReadDir(tmp); len(left) != 0 {
						t.Errorf("run(%q) left %d entries in the temporary directory, the first %s", args, len(left), left[0].Name())
					}
				}
			})
		}
	}
}

// TestLoadLogOutput checks where a -load run's log goes: without -log, to a
// temporary file that is gone when run returns, the report giving its size
// and saying that -log FILE keeps it; with -log FILE, to that file, kept,
// its first record the startup record with the effective configuration.
func TestLoadLogOutput(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	db := filepath.Join(t.TempDir(), "test.db")

	var report bytes.Buffer
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-load", "100ms", "-clients", "2", "-db", db}, &report, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the -load run left %d entries in the temporary directory, the first %s", len(left), left[0].Name())
	}
	for _, want := range []string{"log output  ", "a temporary file of ", "removed at exit; -log FILE keeps the log", "\nconfig: level=DEBUG format=json "} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}

	logPath := filepath.Join(t.TempDir(), "kept.log")
	report.Reset()
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-load", "100ms", "-clients", "2", "-db", db, "-log", logPath}, &report, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("-log FILE not kept: %v", err)
	}
	if !strings.Contains(report.String(), logPath+", ") {
		t.Errorf("report does not name %s:\n%s", logPath, report.String())
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var rec struct {
		Msg    string
		Config struct {
			Level    string
			Format   string
			Sampling struct {
				AlwaysSamplePaths string `json:"always_sample_paths"`
			}
			HTTP struct{ Recover bool }
		}
	}
	if err := json.Unmarshal(first, &rec); err != nil {
		t.Fatalf("first line %q: %v", first, err)
	}
	if rec.Msg != "service started" || rec.Config.Level != "DEBUG" || rec.Config.Format != "json" ||
		rec.Config.Sampling.AlwaysSamplePaths != "/api/v1/payments" || !rec.Config.HTTP.Recover {
		t.Errorf("first record %s: want the startup record with the service's configuration", first)
	}
}

// TestLoadTextFormat checks that LOG_FORMAT=text works with -load: the
// report counts one line per record, so it accounts for every record in
// text as in JSON, and the log starts with the startup record.
func TestLoadTextFormat(t *testing.T) {
	t.Setenv("LOG_FORMAT", "text")
	logPath := filepath.Join(t.TempDir(), "text.log")
	var report bytes.Buffer
	args := []string{"-addr", "127.0.0.1:0", "-load", "100ms", "-clients", "2", "-db", filepath.Join(t.TempDir(), "test.db"), "-log", logPath}
	if err := run(context.Background(), args, &report, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^accounted for +ok `).MatchString(report.String()) {
		t.Errorf("report does not account for every record:\n%s", report.String())
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if !regexp.MustCompile(`^time=\S+ level=INFO msg="service started" addr=\S+ db=\S+ config\.level=DEBUG config\.format=text `).Match(first) {
		t.Errorf("first line %q: want the startup record in text", first)
	}
}
