package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// logOutput is where the service's log records go, chosen by -log:
// standard output, a file the user named, or (with -load and no -log) a
// temporary file that is removed when the service exits.
type logOutput struct {
	w       io.Writer
	file    *os.File // nil for standard output
	temp    bool     // a temporary file: removed at exit
	created bool     // the file did not exist before: removed if the start fails
}

// openLogOutput opens the output -log names: "-" is standard output, and
// so is no -log without -load; no -log with -load is a temporary file.
func openLogOutput(o options, stdout io.Writer) (*logOutput, error) {
	path := o.logPath
	switch {
	case path == "-" || (path == "" && o.load == 0):
		return &logOutput{w: stdout}, nil
	case path == "":
		f, err := os.CreateTemp("", "slogstack-service-*.log")
		if err != nil {
			return nil, err
		}
		return &logOutput{w: f, file: f, temp: true, created: true}, nil
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logOutput{w: f, file: f, created: errors.Is(statErr, fs.ErrNotExist)}, nil
}

// describe names the output for the report, with its size.
func (l *logOutput) describe() string {
	if l.file == nil {
		return "standard output"
	}
	size := "size unknown"
	if fi, err := l.file.Stat(); err == nil {
		size = formatBytes(fi.Size())
	}
	if l.temp {
		return fmt.Sprintf("a temporary file of %s, removed at exit; -log FILE keeps the log", size)
	}
	return fmt.Sprintf("%s, %s", l.file.Name(), size)
}

// close closes the file; it removes a temporary file, and a file this run
// created when the service failed to start (started is false).
func (l *logOutput) close(started bool) error {
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	if l.temp || (l.created && !started) {
		err = errors.Join(err, os.Remove(l.file.Name()))
	}
	return err
}

// formatBytes prints a size in B, KiB, MiB or GiB with one decimal.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
