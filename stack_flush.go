package slogstack

import (
	"context"
)

// Flush writes everything the stack holds without closing it: the
// aggregation's open summaries are written now (aggregation.Handler.Flush),
// then Flush waits until every record queued by async before that point
// has been handed to the sink (async Flush), each bounded by ctx. It
// returns nil when that is done, or by ctx's deadline with an error saying
// what was still unwritten (the records stay queued, the summaries open or
// being written in the background; nothing is closed or abandoned).
// Logging goes on during and after Flush; records logged by other
// goroutines meanwhile may or may not be written by then.
//
// Flush is the call to make before os.Exit, which runs no deferred
// function: log, then Flush with a deadline, then exit. Do not use
// log.Fatal with a stack: it calls os.Exit itself, before anything could
// flush (log its error, call Shutdown or Flush, then os.Exit(1)).
//
// Flush is safe to call from any goroutine, any number of times,
// concurrently with logging and with Shutdown. After Shutdown has
// returned it returns nil at once (Shutdown wrote everything), and a stack
// with neither aggregation nor async holds nothing and returns nil at once.
func (s *Stack) Flush(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-s.shutdownDone:
		return nil
	default:
	}
	return s.eachOwner(func(o goroutineOwner) error { return o.Flush(ctx) })
}
