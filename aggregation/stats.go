package aggregation

// Stats are a Handler's counters. Seen = PassedUnmatched + PassedMatched
// + Folded, and every folded record ends up in exactly one summary:
// Folded = FoldedWritten + FoldedFailed + FoldedDisabled + FoldedDropped +
// the records in open summaries and in summaries being written (those a
// Flush whose context ended left to its writer included). It marshals
// with encoding/json.
type Stats struct {
	// Seen is the number of records given to Handle.
	Seen uint64
	// PassedUnmatched counts records passed on unchanged because they are
	// not system records or are at ERROR or above.
	PassedUnmatched uint64
	// PassedMatched counts system records passed on individually: within
	// their group's burst allowance, after Close, or on a hash collision.
	PassedMatched uint64
	// Folded counts system records folded into summaries, written or
	// still open.
	Folded uint64
	// FoldedWritten counts folded records whose summary the next handler
	// accepted (the sum of _count over written summaries).
	FoldedWritten uint64
	// FoldedFailed counts folded records whose summary the next handler
	// failed to write: it returned an error or panicked.
	FoldedFailed uint64
	// FoldedDisabled counts folded records whose summary was not written
	// because the next handler no longer handled its level.
	FoldedDisabled uint64
	// FoldedDropped counts folded records whose summary was not written
	// because Close gave up when its context ended (Flush never drops),
	// or because the next handler ended the goroutine writing it
	// (runtime.Goexit) before it was started.
	FoldedDropped uint64

	// Summaries counts summaries closed, by cause.
	Summaries SummaryCounts
	// SummariesDisabled counts closed summaries not written because the
	// next handler no longer handled their level.
	SummariesDisabled uint64
	// SummariesDropped counts closed summaries not written because Close
	// gave up when its context ended (Flush never drops), or because the
	// next handler ended the goroutine writing summaries (runtime.Goexit)
	// before they were started. Their records are counted in FoldedDropped.
	SummariesDropped uint64
	// SummaryErrors counts summaries whose writing failed: the next
	// handler returned an error, panicked (in Handle or Enabled) or ended
	// the goroutine (runtime.Goexit). Their records are counted in
	// FoldedFailed.
	SummaryErrors uint64
	// HandlePanics counts the panics and runtime.Goexit calls of code
	// the handler calls: the next handler writing a summary (also counted
	// in SummaryErrors) or a record passed on (whose Handle then returns
	// an error saying so, for a panic); Options.Match (the record is then
	// passed on as not matched); and a panic that ended the background
	// flusher (a new one is started at once). Panics are recovered; a
	// Goexit goes on ending its goroutine. Neither leaves a lock held or a
	// summary uncounted.
	HandlePanics uint64

	// Collisions counts records passed individually because their group
	// key's first hash matched another group's and the second did not.
	Collisions uint64
	// GroupsEvicted counts groups evicted from the full cache (least
	// recently used first).
	GroupsEvicted uint64
	// GroupsExpired counts groups dropped after a whole window without a
	// record.
	GroupsExpired uint64
	// Groups is the number of groups in the cache now.
	Groups int
	// Bytes approximates the memory the cache holds now.
	Bytes int64
}

// SummaryCounts counts closed summaries by the cause that closed them,
// whether they were then written, failed, disabled or dropped.
type SummaryCounts struct {
	Window     uint64 // the window ended
	MaxCount   uint64 // the summary reached Options.MaxCount records
	RequestEnd uint64 // the request scope of its group ended
	Evicted    uint64 // its group was evicted from the full cache
	Flush      uint64 // Flush or Close
}

// Total returns the number of summaries closed.
func (c SummaryCounts) Total() uint64 {
	return c.Window + c.MaxCount + c.RequestEnd + c.Evicted + c.Flush
}

func (sh *shared) stats() Stats {
	st := Stats{
		PassedUnmatched: sh.passedUnmatched.Load(),
		FoldedWritten:   sh.foldedWritten.Load(),
		FoldedFailed:    sh.foldedFailed.Load(),
		FoldedDisabled:  sh.foldedDisabled.Load(),
		FoldedDropped:   sh.foldedDropped.Load(),
		Summaries: SummaryCounts{
			Window:     sh.summaries[causeWindow].Load(),
			MaxCount:   sh.summaries[causeMaxCount].Load(),
			RequestEnd: sh.summaries[causeRequestEnd].Load(),
			Evicted:    sh.summaries[causeEvicted].Load(),
			Flush:      sh.summaries[causeFlush].Load(),
		},
		SummariesDisabled: sh.summaryDisabled.Load(),
		SummariesDropped:  sh.summaryDropped.Load(),
		SummaryErrors:     sh.summaryErrors.Load(),
		HandlePanics:      sh.handlePanics.Load(),
	}
	for i := range sh.shards {
		s := &sh.shards[i]
		s.mu.Lock()
		st.PassedMatched += s.passedMatched
		st.Folded += s.folded
		st.Collisions += s.collisions
		st.GroupsEvicted += s.evicted
		st.GroupsExpired += s.expired
		st.Groups += len(s.groups)
		st.Bytes += s.bytes
		s.mu.Unlock()
	}
	st.Seen = st.PassedUnmatched + st.PassedMatched + st.Folded
	return st
}
