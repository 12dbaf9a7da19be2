package benchmarks

// SyncTargets returns the synchronous setups compared in BenchmarkSync, in
// table order: the floor and a disabled call first, then slog's JSON
// handler (the reference), slogstack's, and the peers.
func SyncTargets() []Target {
	ts := []Target{Floor, SlogDiscard, SlogJSON}
	ts = append(ts, slogstackSyncTargets()...)
	return append(ts, Zap, ZapSlog, Zerolog, Phuslu, PhusluSlog)
}

// BufferedTargets returns the setups compared in BenchmarkBuffered and by
// cmd/stall: the synchronous slog.JSONHandler writing straight to the sink,
// slogstack's asynchronous setups, and the peers' buffered writers.
func BufferedTargets() []Target {
	ts := []Target{SlogJSON}
	ts = append(ts, slogstackBufferedTargets()...)
	return append(ts, ZerologDiode, ZapBuffered)
}
