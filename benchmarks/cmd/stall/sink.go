package main

import (
	"bytes"
	"io"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/benchmarks"
)

// message marks a payload record in the sink's input.
var message = []byte(benchmarks.Message)

// sink is the writer under the setups: it counts the payload records
// (lines carrying the payload's message), the other lines (a setup's own
// reports, such as drop notices) and the Write calls it sees, and passes
// the bytes on. When stall is set, the
// Write that brings it to stallAfter records or more sleeps for stall,
// once, like a log shipper or a pipe that stops reading. With uncounted
// set it only passes the bytes on: the reference of the sustained rate
// writes to io.Discard with nothing added to its cost.
type sink struct {
	next       io.Writer
	uncounted  bool
	stall      time.Duration
	stallAfter uint64

	records atomic.Uint64
	others  atomic.Uint64
	writes  atomic.Uint64
	stalled atomic.Bool
}

// Write counts p's records and writes it to the next writer, after the
// one-time stall if p brings the count past stallAfter.
func (s *sink) Write(p []byte) (int, error) {
	if s.uncounted {
		return s.next.Write(p)
	}
	s.writes.Add(1)
	payload := uint64(bytes.Count(p, message))
	n := s.records.Add(payload)
	s.others.Add(uint64(bytes.Count(p, []byte{'\n'})) - payload)
	if s.stall > 0 && n >= s.stallAfter && s.stalled.CompareAndSwap(false, true) {
		time.Sleep(s.stall)
	}
	return s.next.Write(p)
}
