package slogstack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// parseControlUpdate returns cur with the fields body sets replaced, or an
// error naming the first field that is wrong. It checks the whole body
// before it returns anything, so a refused body changes nothing.
func parseControlUpdate(body []byte, cur controlState) (controlState, error) {
	fields, err := decodeObject(body, "body", "")
	if err != nil {
		return cur, err
	}
	if err := checkFieldNames(fields, "", "level", "sampling"); err != nil {
		return cur, err
	}
	next := cur.clone()
	if raw, ok := fields["level"]; ok {
		if next.Level, err = parseLevel(raw); err != nil {
			return cur, err
		}
	}
	if raw, ok := fields["sampling"]; ok {
		if next.Sampling, err = parseSampling(raw, next.Sampling); err != nil {
			return cur, err
		}
	}
	return next, nil
}

// decodeObject decodes data, which must be one JSON object and nothing
// after it, into its fields; name is what an error calls data, prefix the
// path an error gives its fields. A field given twice is refused: which of
// the two would count is a guess a proxy or a script may make otherwise.
func decodeObject(data []byte, name, prefix string) (map[string]json.RawMessage, error) {
	notObject := fmt.Errorf("%s: not a JSON object", name)
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notObject
	}
	fields := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		if err != nil || !isKey {
			return nil, notObject
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, notObject
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("%s%q: duplicate field", prefix, key)
		}
		fields[key] = value
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, notObject
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: data after the JSON object", name)
	}
	return fields, nil
}

// checkFieldNames returns an error naming the first field, in sorted
// order, that is not one of known; prefix is the path of the object.
func checkFieldNames(fields map[string]json.RawMessage, prefix string, known ...string) error {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(known, name) {
			return fmt.Errorf("%s%q: unknown field; the fields are %s", prefix, name, strings.Join(known, ", "))
		}
	}
	return nil
}

// parseLevel parses a level as slog.Level.UnmarshalText does, any case,
// and refuses an offset that wraps around (slog's "ERROR+9223372036854775807"
// is a level below DEBUG: it would turn logging all the way up).
func parseLevel(raw json.RawMessage) (slog.Level, error) {
	var text *string
	if err := json.Unmarshal(raw, &text); err != nil || text == nil {
		return 0, errors.New(`level: not a string; want a level such as "DEBUG", "info" or "WARN+2"`)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(*text)); err != nil {
		return 0, fmt.Errorf(`level: %q is not a level; want DEBUG, INFO, WARN or ERROR, optionally +N or -N`, truncate(*text))
	}
	if levelWraps(*text, l) {
		return 0, fmt.Errorf(`level: %q is out of range; the offset overflows`, truncate(*text))
	}
	return l, nil
}

// levelWraps reports whether l, parsed from text by slog, is its name's
// level plus an offset that overflowed: above the name's level for a
// negative offset, below it for a positive one.
func levelWraps(text string, l slog.Level) bool {
	i := strings.IndexAny(text, "+-")
	if i < 0 {
		return false
	}
	var base slog.Level
	if base.UnmarshalText([]byte(text[:i])) != nil {
		return false // not reached: slog parsed text
	}
	return (text[i] == '+' && l < base) || (text[i] == '-' && l > base)
}

// parseSampling returns cur with the fields raw sets replaced. cur is nil
// when the stack does not sample: then only null, which GET shows, is
// accepted.
func parseSampling(raw json.RawMessage, cur *controlSampling) (*controlSampling, error) {
	if cur == nil {
		if isNull(raw) {
			return nil, nil
		}
		return nil, errors.New("sampling: the stack does not sample (Config.Sampling is off)")
	}
	fields, err := decodeObject(raw, "sampling", "sampling.")
	if err != nil {
		return nil, err
	}
	if err := checkFieldNames(fields, "sampling.", "rate", "always_sample_paths", "excluded_paths", "follow_trace"); err != nil {
		return nil, err
	}
	next := *cur
	if raw, ok := fields["rate"]; ok {
		if next.Rate, err = parseRate(raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := fields["always_sample_paths"]; ok {
		if next.AlwaysSamplePaths, err = parsePaths(raw, "sampling.always_sample_paths"); err != nil {
			return nil, err
		}
	}
	if raw, ok := fields["excluded_paths"]; ok {
		if next.ExcludedPaths, err = parsePaths(raw, "sampling.excluded_paths"); err != nil {
			return nil, err
		}
	}
	if raw, ok := fields["follow_trace"]; ok {
		var b *bool
		if err := json.Unmarshal(raw, &b); err != nil || b == nil {
			return nil, errors.New("sampling.follow_trace: not true or false")
		}
		next.FollowTrace = *b
	}
	return &next, nil
}

// parseRate parses a fraction in [0, 1].
func parseRate(raw json.RawMessage) (float64, error) {
	var r *float64
	if err := json.Unmarshal(raw, &r); err != nil || r == nil {
		return 0, errors.New("sampling.rate: not a number; want a fraction in [0, 1], 0.1 for 10%")
	}
	if !(*r >= 0 && *r <= 1) {
		return 0, fmt.Errorf("sampling.rate: %v is outside [0, 1]; want a fraction, 0.1 for 10%%", *r)
	}
	return rateInForce(*r), nil // -0 becomes 0
}

// parsePaths parses a list of strings; null is refused (use [] for none).
func parsePaths(raw json.RawMessage, name string) ([]string, error) {
	var paths []*string
	if err := json.Unmarshal(raw, &paths); err != nil || paths == nil {
		return nil, fmt.Errorf("%s: not a list of strings; use [] for none", name)
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		if p == nil {
			return nil, fmt.Errorf("%s[%d]: null; want a string", name, i)
		}
		out[i] = *p
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// truncate returns s cut to 64 bytes, for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
