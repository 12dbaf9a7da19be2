package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// reportJSON is the report -report-json writes when the service exits,
// after its ordered shutdown: what its HTTP server answered, what its
// logging stack did with the records, and, with -otlp-endpoint, what the
// OTLP pipeline did with what the stack wrote.
type reportJSON struct {
	Service  string           `json:"service"`  // OTEL_SERVICE_NAME, or "service"
	Requests uint64           `json:"requests"` // requests the service's HTTP server answered
	Stack    stackStatsJSON   `json:"stack"`
	Written  uint64           `json:"written"`          // records that reached the sink: lines of the log output, or the records handed to the OTLP pipeline
	Export   *exportStatsJSON `json:"export,omitempty"` // only with -otlp-endpoint
	// Accounted is whether every record logged is written or counted where
	// it went and, with export, every record written is exported or
	// counted as failed, dropped or abandoned.
	Accounted bool `json:"accounted"`
}

type stackStatsJSON struct {
	Logged       uint64 `json:"logged"`
	SampledOut   uint64 `json:"sampled_out"`
	Rescued      uint64 `json:"rescued"`
	Folded       uint64 `json:"folded"`
	Summaries    uint64 `json:"summaries"`
	AsyncDropped uint64 `json:"async_dropped"`
	DropReports  uint64 `json:"drop_reports"`
	InFlight     uint64 `json:"in_flight,omitempty"` // only when a call into the sink had not returned
}

type exportStatsJSON struct {
	Handed        uint64 `json:"handed"`
	Exported      uint64 `json:"exported"`
	Failed        uint64 `json:"failed"`
	Dropped       uint64 `json:"dropped"`
	Abandoned     uint64 `json:"abandoned"`
	Pending       uint64 `json:"pending"`
	Exports       uint64 `json:"exports"`
	FailedExports uint64 `json:"failed_exports"`
	LastError     string `json:"last_error"`
}

// serviceName names the instance in the JSON report: OTEL_SERVICE_NAME,
// the variable the OpenTelemetry resource takes it from, or "service".
func serviceName() string {
	if name := os.Getenv("OTEL_SERVICE_NAME"); name != "" {
		return name
	}
	return "service"
}

// json is the report as -report-json writes it.
func (r report) json() reportJSON {
	s := r.stats
	out := reportJSON{
		Service:   serviceName(),
		Requests:  r.served,
		Stack:     stackStatsJSON(s),
		Written:   r.written,
		Accounted: r.accounted(),
	}
	if e := r.export; e != nil {
		out.Export = &exportStatsJSON{
			Handed: e.Handed, Exported: e.Exported, Failed: e.Failed, Dropped: e.Dropped,
			Abandoned: e.Abandoned, Pending: e.Pending, Exports: e.Exports,
			FailedExports: e.FailedExports, LastError: e.LastError,
		}
	}
	return out
}

// writeJSON writes the JSON report to path atomically: to a temporary file
// in the same directory, synced, then renamed over path, so a reader (the
// fleet, a script) sees the whole report or none.
func (r report) writeJSON(path string) (err error) {
	data, err := json.MarshalIndent(r.json(), "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return errors.Join(fmt.Errorf("report: %w", err), f.Close())
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(fmt.Errorf("report: %w", err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("report: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// checkReportPath refuses a -report-json path whose directory does not
// exist or that names a directory, at start rather than after the run.
func checkReportPath(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return fmt.Errorf("-report-json %s: the directory %s does not exist", path, filepath.Dir(path))
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("-report-json %s: is a directory", path)
	}
	return nil
}
