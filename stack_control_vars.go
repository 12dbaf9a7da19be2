package slogstack

import (
	"log/slog"

	"github.com/slogstack/slogstack/sampling"
)

// Level returns the level the stack filters with: records below it are
// refused by the stack's top handler and, in a stack NewStack built, by
// its JSON or text handler too. Setting it changes the level of the
// running stack for every record logged after the call, with no lock on
// the log path (each record reads it with one atomic load).
//
// When Config.Level is a *slog.LevelVar, Level returns that same var:
// setting either is the same. Otherwise it is a var of the stack's own,
// set when the stack was built to Config.Level's level (slog.LevelInfo
// when nil); a slog.Leveler of another kind is read once, then.
func (s *Stack) Level() *slog.LevelVar { return s.level }

// Policy returns the sampling policy the stack decides with: the
// decisions of Stack.Middleware and of the scopes opened with
// Stack.ScopeOptions. It holds Config.SamplingPolicy when the stack is
// built. Storing a policy changes the decision of every request or job
// whose scope opens after Store returns, with no lock on the log path; a
// scope already open keeps the decision it was given, and its records
// follow it. Since the decision of a rate is monotone, raising the rate
// only adds requests to those sampled, and lowering it only removes some.
//
// When Config.Sampling is off, every request is sampled and the var is
// not read: it holds Config.SamplingPolicy, and storing into it changes
// nothing.
func (s *Stack) Policy() *sampling.PolicyVar { return s.policy }

// levelVarOf returns l when it is a *slog.LevelVar, else a new var set to
// l's level at this moment.
func levelVarOf(l slog.Leveler) *slog.LevelVar {
	if v, ok := l.(*slog.LevelVar); ok {
		return v
	}
	v := new(slog.LevelVar)
	v.Set(l.Level())
	return v
}
