package main

import (
	"strconv"
	"strings"
)

// stallHeading starts the section of cmd/stall's report that holds the
// stalled/fast caller p99 table.
const stallHeading = "### Stalled / fast caller p99"

// parseStallRatios returns the stalled/fast caller p99 ratio of every
// target of cmd/stall's Markdown report: the rows of the table under
// stallHeading, whose columns are target, fast p99, stalled p99, ratio,
// and more. Rows whose ratio is not a number are skipped.
func parseStallRatios(report string) map[string]float64 {
	ratios := map[string]float64{}
	_, section, ok := strings.Cut(report, stallHeading)
	if !ok {
		return ratios
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 4 {
			continue
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(cells[3]), 64)
		if err != nil {
			continue
		}
		ratios[strings.TrimSpace(cells[0])] = r
	}
	return ratios
}
