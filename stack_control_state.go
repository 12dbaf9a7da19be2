package slogstack

import (
	"log/slog"
	"slices"

	"github.com/slogstack/slogstack/sampling"
)

// controlState is the settings ControlHandler shows and changes.
type controlState struct {
	Level    slog.Level       `json:"level"` // written as slog writes it (MarshalJSON)
	Sampling *controlSampling `json:"sampling"`
}

// controlSampling is a sampling.Policy as ControlHandler shows it.
type controlSampling struct {
	Rate              float64  `json:"rate"`
	AlwaysSamplePaths []string `json:"always_sample_paths"`
	ExcludedPaths     []string `json:"excluded_paths"`
	FollowTrace       bool     `json:"follow_trace"`
}

// controlState returns the settings in force, sampling nil when the stack
// does not sample.
func (s *Stack) controlState() controlState {
	st := controlState{Level: s.level.Level()}
	if s.cfg.Sampling {
		st.Sampling = samplingState(s.policy.Load())
	}
	return st
}

// samplingState returns p as ControlHandler shows it: the rate it decides
// with, lists never nil.
func samplingState(p sampling.Policy) *controlSampling {
	return &controlSampling{
		Rate:              rateInForce(p.Rate),
		AlwaysSamplePaths: nonNil(p.AlwaysSamplePaths),
		ExcludedPaths:     nonNil(p.ExcludedPaths),
		FollowTrace:       p.FollowTrace,
	}
}

// policy returns the sampling.Policy c shows.
func (c *controlSampling) policy() sampling.Policy {
	return sampling.Policy{
		Rate:              c.Rate,
		AlwaysSamplePaths: cloneOrNil(c.AlwaysSamplePaths),
		ExcludedPaths:     cloneOrNil(c.ExcludedPaths),
		FollowTrace:       c.FollowTrace,
	}
}

func (st controlState) equal(o controlState) bool {
	return st.Level == o.Level && st.Sampling.equal(o.Sampling)
}

func (c *controlSampling) equal(o *controlSampling) bool {
	if c == nil || o == nil {
		return c == o
	}
	return c.Rate == o.Rate && c.FollowTrace == o.FollowTrace &&
		slices.Equal(c.AlwaysSamplePaths, o.AlwaysSamplePaths) &&
		slices.Equal(c.ExcludedPaths, o.ExcludedPaths)
}

// clone returns st with a sampling part of its own.
func (st controlState) clone() controlState {
	if st.Sampling != nil {
		c := *st.Sampling
		c.AlwaysSamplePaths = slices.Clone(c.AlwaysSamplePaths)
		c.ExcludedPaths = slices.Clone(c.ExcludedPaths)
		st.Sampling = &c
	}
	return st
}

// attr returns st as a group attribute named key, shaped as the JSON.
func (st controlState) attr(key string) slog.Attr {
	attrs := []slog.Attr{slog.String("level", st.Level.String())}
	if st.Sampling == nil {
		attrs = append(attrs, slog.Any("sampling", nil))
	} else {
		c := st.Sampling
		attrs = append(attrs, slog.Group("sampling",
			slog.Float64("rate", c.Rate),
			slog.Any("always_sample_paths", slices.Clone(c.AlwaysSamplePaths)),
			slog.Any("excluded_paths", slices.Clone(c.ExcludedPaths)),
			slog.Bool("follow_trace", c.FollowTrace)))
	}
	return slog.Attr{Key: key, Value: slog.GroupValue(attrs...)}
}

// rateInForce returns the rate a Policy with rate r decides with
// (Policy.Decide): 0 for a negative r, -0 or NaN, 1 above 1 (+Inf
// included), r otherwise. Shown so, a rate the program stored outside
// [0, 1] still encodes as JSON and reads back through PUT.
func rateInForce(r float64) float64 {
	switch {
	case !(r > 0):
		return 0
	case r > 1:
		return 1
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// cloneOrNil returns a copy of s, nil when s is empty (a Policy's lists are
// nil when empty, as DefaultPolicy and the zero Policy have them).
func cloneOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
