package main

import (
	"fmt"
	"strings"
)

// shapeTargets are the columns of the shape table, the reference first.
var shapeTargets = []string{"slog-json", "slogstack-json", "phuslu-slog", "zapslog"}

// shapesTable renders the Shapes group as one table: a row per shape, for
// every target its median ns/op with the ratio to slog-json and its
// allocs/op, then handler.JSONHandler's ratio to phuslu-slog judged
// against encoderLimit.
func shapesTable(s *samples) string {
	var b strings.Builder
	b.WriteString("### Payload shapes, to io.Discard\n\n")
	b.WriteString("The shapes public slog benchmark suites use, logged serially with `LogAttrs` at Info through slog.Logger over each " +
		"handler: `bare` a message alone; `attrs5`, `attrs10`, `attrs40` that many attributes cycling through every kind " +
		"(string, int64, uint64, float64, bool, duration, time, an error, a struct, a group of two); `biggroup` one group nested " +
		"three deep with 24 leaves; `with` a logger bound once with With to 10 attributes, then 5 per call; `withgroup` a logger " +
		"bound once with WithGroup, then 5 per call; `source` 5 attributes with AddSource. handler.JSONHandler writes the very " +
		"bytes slog.JSONHandler writes for each shape, and phuslu's and zap's handlers the same keys (the module's tests check both). " +
		"Each cell: median ns/op (ratio to slog-json), then allocs/op. The last column is the encoder target: " +
		fmt.Sprintf("handler.JSONHandler at most %.2f× phuslu-slog's time on every shape.\n\n", encoderLimit))
	head := []string{"shape"}
	align := []string{"---"}
	for _, t := range shapeTargets {
		head = append(head, t+" ns/op", t+" allocs/op")
		align = append(align, "--:", "--:")
	}
	head = append(head, "slogstack-json / phuslu-slog", "met")
	align = append(align, "--:", "---")
	fmt.Fprintf(&b, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
	for _, sh := range s.variants["Shapes"] {
		row := []string{sh}
		ref, refOK := s.median(shapeKey("slog-json", sh), "ns/op")
		for _, t := range shapeTargets {
			ns, allocs := "—", "—"
			if m, ok := s.median(shapeKey(t, sh), "ns/op"); ok {
				ns = num(m)
				if refOK && ref > 0 {
					ns += fmt.Sprintf(" (%.2f×)", m/ref)
				}
			}
			if a, ok := s.median(shapeKey(t, sh), "allocs/op"); ok {
				allocs = num(a)
			}
			row = append(row, ns, allocs)
		}
		verdictRatio, verdict := "—", "—"
		if r, ok := ratio(s, shapeKey("slogstack-json", sh), shapeKey("phuslu-slog", sh)); ok {
			verdictRatio, verdict = fmt.Sprintf("%.2f×", r), "yes"
			if r > encoderLimit {
				verdict = "**no**"
			}
		}
		row = append(row, verdictRatio, verdict)
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	return b.String()
}
