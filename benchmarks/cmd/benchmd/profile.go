package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// profileEntries is how many functions of each CPU profile the page shows.
const profileEntries = 8

// profileEntry is one line of `go tool pprof -top`.
type profileEntry struct {
	flat, flatPct, cum, cumPct, name string
}

// parseProfileTop returns the first n entries of `go tool pprof -top`
// output (the lines under the "flat flat% sum% cum cum%" header), with
// the function names trimmed to their last path element, and the
// "Showing nodes..." summary line ("" when absent).
func parseProfileTop(out string, n int) (summary string, entries []profileEntry) {
	inTable := false
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "Showing nodes"):
			summary = strings.TrimSpace(line)
		case len(f) == 5 && f[0] == "flat" && f[4] == "cum%":
			inTable = true
		case inTable && len(f) >= 6 && len(entries) < n:
			entries = append(entries, profileEntry{f[0], f[1], f[3], f[4], trimFunc(strings.Join(f[5:], " "))})
		}
	}
	return summary, entries
}

// trimFunc returns a pprof function name without its package path:
// github.com/slogstack/slogstack/async.(*Writer).Write -> async.(*Writer).Write.
// A function of the module's internal packages, which users cannot call,
// is shown as "(internal)" and its name within its package:
// github.com/slogstack/slogstack/internal/snapshot.Record.func2 ->
// (internal) Record.func2.
func trimFunc(name string) string {
	head, tail, _ := strings.Cut(name, " ")
	internal := strings.HasPrefix(head, internalPrefix)
	if i := strings.LastIndexByte(head, '/'); i >= 0 {
		head = head[i+1:]
	}
	if internal {
		if _, fn, ok := strings.Cut(head, "."); ok {
			head = "(internal) " + fn
		}
	}
	if tail != "" {
		return head + " " + tail
	}
	return head
}

// internalPrefix is the package path prefix of the module's internal
// packages.
const internalPrefix = "github.com/slogstack/slogstack/internal/"

// profileSection renders the CPU profiles of the stack rows found in dir
// (<row>.txt, the `go tool pprof -top` output of one serial run of the
// row), in the order of rows; "" when dir is empty or holds none of them.
func profileSection(dir string, rows []string) string {
	if dir == "" {
		return ""
	}
	var b strings.Builder
	for _, row := range rows {
		out, err := os.ReadFile(filepath.Join(dir, row+".txt"))
		if err != nil {
			continue
		}
		summary, entries := parseProfileTop(string(out), profileEntries)
		if len(entries) == 0 {
			continue
		}
		fmt.Fprintf(&b, "#### %s\n\n", row)
		if summary != "" {
			fmt.Fprintf(&b, "%s\n\n", summary)
		}
		b.WriteString("| flat | flat% | cum | cum% | function |\n|--:|--:|--:|--:|---|\n")
		for _, e := range entries {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", e.flat, e.flatPct, e.cum, e.cumPct, e.name)
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return ""
	}
	return "### Where the time goes: CPU profile of each stack row\n\n" +
		"run.sh runs each stack row once more, serially, with `-cpuprofile`; these are the top " +
		fmt.Sprint(profileEntries) + " functions of `go tool pprof -top` by own time (flat), with the time " +
		"under each (cum). The benchmark loop itself (`testing`, `benchmarks.`) and slog.Logger's own work " +
		"(the floor) are part of every profile, and so are the other goroutines of the process: the asynchronous queue's " +
		"drain goroutine (the encoding, in the async.Handler rows) is in it although the caller does not wait for it.\n\n" + b.String()
}
