package slogstack

import (
	"fmt"
	"slices"
	"strings"
)

// maxTypoDistance is the largest edit distance at which an unknown LOG_*
// variable is taken for a misspelling of a known one. Two edits catch a
// dropped, doubled, swapped or wrong letter or two, yet no name of another
// tool's variable (LOG_FILE, LOG_OUTPUT, LOG_DIR) comes that close to a
// known name.
const maxTypoDistance = 2

// misspelledVariables returns an error for each variable of environ (in
// the form "key=value") whose name starts with LOG_ in any case, is not a
// known name and is within maxTypoDistance edits of one or made of forms
// of its words, suggesting the nearest (the first of the nearest, in name
// order). The errors are in
// name order.
func misspelledVariables(environ []string, known map[string]bool) []error {
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	slices.Sort(names)
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if known[name] || !strings.HasPrefix(strings.ToUpper(name), "LOG_") {
			continue
		}
		unknown = append(unknown, name)
	}
	slices.Sort(unknown)
	unknown = slices.Compact(unknown)
	var errs []error
	for _, name := range unknown {
		if suggestion, ok := nearestName(name, names); ok {
			errs = append(errs, fmt.Errorf("%s: unknown variable; did you mean %s?", name, suggestion))
		}
	}
	return errs
}

// nearestName returns the name of names nearest to name (compared in upper
// case, so that a name differing only in case is at distance 0), if one is
// within maxTypoDistance edits, else the first whose words name's words
// are forms of (sameWords).
func nearestName(name string, names []string) (string, bool) {
	upper := strings.ToUpper(name)
	best, bestDist := "", maxTypoDistance+1
	for _, n := range names {
		if extends(upper, n) {
			continue // LOG_LEVELDB is not LOG_LEVEL misspelled
		}
		if d := editDistance(upper, n, bestDist); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" {
		return best, true
	}
	for _, n := range names {
		if sameWords(upper, n) {
			return n, true
		}
	}
	return "", false
}

// sameWords reports whether a and b, names in upper case, have the same
// number of words (separated by '_') and each word of a is a form of the
// word of b at its place: LOG_SAMPLE_RATE of LOG_SAMPLING_RATE,
// LOG_REDACTION of LOG_REDACT, LOG_EXCLUDE_PATH of LOG_EXCLUDED_PATHS,
// too many edits apart for editDistance.
func sameWords(a, b string) bool {
	aw, bw := strings.Split(a, "_"), strings.Split(b, "_")
	if len(aw) != len(bw) {
		return false
	}
	for i := range aw {
		if !sameWord(aw[i], bw[i]) {
			return false
		}
	}
	return true
}

// sameWord reports whether a and b are equal, or forms of one word: they
// share a stem of at least minStemLetters letters and what follows it in
// each is an inflection (SAMPLE and SAMPLING, REDACT and REDACTION, PATH
// and PATHS). Another word built on the stem is not a form of it:
// FORMATTER is not FORMAT, STACK is not STACKTRACE, AGGREGATOR is not
// AGGREGATION; such names belong to other tools.
func sameWord(a, b string) bool {
	if a == b {
		return true
	}
	stem := 0
	for stem < min(len(a), len(b)) && a[stem] == b[stem] {
		stem++
	}
	return stem >= minStemLetters && inflections[a[stem:]] && inflections[b[stem:]]
}

// extends reports whether name is known with two letters or more added
// that do not make an inflection (LOG_LEVELDB, LOG_REDACTOR): another
// tool's name built on ours, not ours misspelled, although within
// maxTypoDistance of it.
func extends(name, known string) bool {
	return len(name) >= len(known)+2 && strings.HasPrefix(name, known) && !inflections[name[len(known):]]
}

// minStemLetters is the shortest stem sameWord takes two words for forms
// of: shorter words (LOG, DIR) must match exactly.
const minStemLetters = 4

// inflections are the endings that make another form of a word in a
// variable's name.
var inflections = map[string]bool{"": true, "E": true, "S": true, "ES": true, "D": true, "ED": true,
	"ING": true, "ION": true, "IONS": true}

// editDistance returns the optimal string alignment distance between a
// and b (the Levenshtein distance with swaps of two neighbouring bytes
// counted as one edit), or limit if it is limit or more. The names are
// ASCII, so bytes are characters.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	// prev2, prev and cur are rows i-2, i-1 and i of the distance matrix.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
