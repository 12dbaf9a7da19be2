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
	fields, err := decodeObject(body, "body")
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
// after it, into its fields; name is what an error calls data.
func decodeObject(data []byte, name string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%s: not a JSON object", name)
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

// parseLevel parses a level as slog.Level.UnmarshalText does, any case.
func parseLevel(raw json.RawMessage) (slog.Level, error) {
	var text *string
	if err := json.Unmarshal(raw, &text); err != nil || text == nil {
		return 0, errors.New(`level: not a string; want a level such as "DEBUG", "info" or "WARN+2"`)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(*text)); err != nil {
		return 0, fmt.Errorf(`level: %q is not a level; want DEBUG, INFO, WARN or ERROR, optionally +N or -N`, truncate(*text))
	}
	return l, nil
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
	fields, err := decodeObject(raw, "sampling")
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
	return *r, nil
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
