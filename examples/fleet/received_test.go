package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/plog"
)

// jsonLine is one OTLP JSON line as the file exporter writes it.
func jsonLine(t testing.TB, records ...sentRecord) string {
	t.Helper()
	var m plog.JSONMarshaler
	line, err := m.MarshalLogs(logsOf(t, records...))
	if err != nil {
		t.Fatal(err)
	}
	return string(line) + "\n"
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadReceived: records come back in file order across lines and files;
// a malformed line, a last line cut short, or a missing file is an error
// naming the file and the line.
func TestReadReceived(t *testing.T) {
	first := jsonLine(t, collectorCases[0])
	second := jsonLine(t, collectorCases[1:]...)
	tests := []struct {
		name    string
		files   map[string]string // written before reading; read in the order of names
		names   []string
		want    []receivedRecord
		wantErr []string // substrings of the error; nil: no error
	}{
		{"empty file", map[string]string{"empty.json": ""}, []string{"empty.json"}, nil, nil},
		{"lines in order", map[string]string{"two.json": first + second}, []string{"two.json"}, wantOf(collectorCases...), nil},
		{"files in order", map[string]string{"a.json": second, "b.json": first}, []string{"a.json", "b.json"},
			wantOf(append(append([]sentRecord{}, collectorCases[1:]...), collectorCases[0])...), nil},
		{"malformed second line", map[string]string{"bad.json": first + "{not json\n" + first}, []string{"bad.json"},
			nil, []string{"bad.json line 2: malformed OTLP JSON"}},
		{"empty line", map[string]string{"blank.json": first + "\n"}, []string{"blank.json"},
			nil, []string{"blank.json line 2: malformed OTLP JSON"}},
		{"last line cut short", map[string]string{"cut.json": first + strings.TrimSuffix(first, "\n")}, []string{"cut.json"},
			nil, []string{"cut.json line 2: cut short"}},
		{"last line cut mid-way", map[string]string{"mid.json": first + first[:len(first)/2]}, []string{"mid.json"},
			nil, []string{"mid.json line 2: malformed OTLP JSON"}},
		{"missing file", nil, []string{"absent.json"}, nil, []string{"absent.json", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, sub, name, content)
			}
			paths := make([]string, len(tt.names))
			for i, name := range tt.names {
				paths[i] = filepath.Join(sub, name)
			}
			got, err := readReceived(paths...)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("records (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; records %v", got)
			}
			if got != nil {
				t.Errorf("records returned with the error: %v", got)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// FuzzReadReceived: any file content gives records or an error naming the
// file, never a panic; a line the file exporter's marshaler wrote from a
// record with any body, severity and attribute key and value reads back
// exactly.
func FuzzReadReceived(f *testing.F) {
	f.Add([]byte("{}\n"), "body", "INFO", "key", "value")
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]}`+"\n"), "", "", "a.b", "\x00")
	f.Add([]byte("\n\n"), "ünï\ncode", "ERROR", "correlation_id", "c-1")
	f.Fuzz(func(t *testing.T, content []byte, body, severity, key, value string) {
		dir := t.TempDir()
		path := writeFile(t, dir, "fuzz.json", string(content))
		got, err := readReceived(path)
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file", err)
		}
		if err != nil && got != nil {
			t.Errorf("records returned with the error: %v", got)
		}

		if !utf8.ValidString(body + severity + key + value) {
			return // OTLP strings are UTF-8: the JSON encoding replaces invalid bytes
		}
		sent := sentRecord{service: "s", body: body, sev: severity, attrs: map[string]any{key: value}}
		want := receivedRecord{Service: "s", Body: body, Severity: severity, Attrs: map[string]any{key: value}}
		switch key {
		case "correlation_id":
			want.CorrelationID = value
		case "trace_id":
			want.TraceID = value
		}
		path = writeFile(t, dir, "line.json", jsonLine(t, sent))
		got, err = readReceived(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]receivedRecord{want}, got); diff != "" {
			t.Errorf("records (-sent +read):\n%s", diff)
		}
	})
}
