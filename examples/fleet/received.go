package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// receivedRecord is one log record the Collector wrote.
type receivedRecord struct {
	Service       string         // resource attribute service.name ("" if none)
	CorrelationID string         // log attribute correlation_id ("" if none)
	TraceID       string         // the record's trace ID in hex, else its attribute trace_id ("" if neither)
	Body          string         // the message
	Severity      string         // the severity text
	Attrs         map[string]any // the log attributes, groups flattened with "." (nil if none)
}

// readReceived decodes the file exporter's output files, in the order given,
// each holding OTLP JSON lines (one ExportLogsServiceRequest per line), and
// returns their records in file order. A line that does not decode (also a
// last line cut short without its newline) is an error naming the file and
// the line number; a missing or unreadable file is an error naming it.
func readReceived(paths ...string) ([]receivedRecord, error) {
	var records []receivedRecord
	for _, path := range paths {
		got, err := readReceivedFile(path)
		if err != nil {
			return nil, err
		}
		records = append(records, got...)
	}
	return records, nil
}

func readReceivedFile(path string) ([]receivedRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("received logs: %w", err)
	}
	defer f.Close()
	var (
		records []receivedRecord
		decoder plog.JSONUnmarshaler
		reader  = bufio.NewReader(f)
	)
	for line := 1; ; line++ {
		text, err := reader.ReadBytes('\n')
		if len(text) == 0 && errors.Is(err, io.EOF) {
			return records, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("received logs: %s line %d: %w", path, line, err)
		}
		logs, decodeErr := decoder.UnmarshalLogs(bytes.TrimSuffix(text, []byte("\n")))
		if decodeErr != nil {
			return nil, fmt.Errorf("received logs: %s line %d: malformed OTLP JSON: %w", path, line, decodeErr)
		}
		if err != nil {
			return nil, fmt.Errorf("received logs: %s line %d: cut short (no newline at the end of the file)", path, line)
		}
		records = appendRecords(records, logs)
	}
}

// appendRecords appends the records of logs, in order, to records.
func appendRecords(records []receivedRecord, logs plog.Logs) []receivedRecord {
	for _, resourceLogs := range logs.ResourceLogs().All() {
		service := ""
		if name, ok := resourceLogs.Resource().Attributes().Get("service.name"); ok {
			service = name.AsString()
		}
		for _, scopeLogs := range resourceLogs.ScopeLogs().All() {
			for _, record := range scopeLogs.LogRecords().All() {
				records = append(records, toReceived(service, record))
			}
		}
	}
	return records
}

func toReceived(service string, record plog.LogRecord) receivedRecord {
	got := receivedRecord{
		Service:  service,
		Body:     record.Body().AsString(),
		Severity: record.SeverityText(),
	}
	if record.Attributes().Len() > 0 {
		got.Attrs = make(map[string]any, record.Attributes().Len())
		flatten(got.Attrs, "", record.Attributes())
	}
	if id, ok := record.Attributes().Get("correlation_id"); ok {
		got.CorrelationID = id.AsString()
	}
	if traceID := record.TraceID(); !traceID.IsEmpty() {
		got.TraceID = traceID.String()
	} else if id, ok := record.Attributes().Get("trace_id"); ok {
		got.TraceID = id.AsString()
	}
	return got
}

// flatten stores attrs into into, a group's members under the group's key
// and ".", recursively (an empty group adds nothing); other values as
// pcommon.Value.AsRaw gives them.
func flatten(into map[string]any, prefix string, attrs pcommon.Map) {
	for key, value := range attrs.All() {
		if value.Type() == pcommon.ValueTypeMap {
			flatten(into, prefix+key+".", value.Map())
			continue
		}
		into[prefix+key] = value.AsRaw()
	}
}
