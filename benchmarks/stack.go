package benchmarks

import (
	"context"
	"errors"
	"io"
	"log/slog"

	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
)

// Stack is the whole recommended slogstack pipeline in front of
// handler.JSONHandler, in the order handler.NewStack assembles it:
// sampling, httpctx's correlation handler, aggregation, redact and async. The stateless wrappers are
// composed with slog-multi's Pipe; the ones that own goroutines are kept
// to be closed.
type Stack struct {
	// Logger logs through the stack, bound to the payload's service; the
	// correlation ID comes from the request scope in the context.
	Logger *slog.Logger

	aggregation *aggregation.Handler
	close       func(context.Context) error // the async stage's Close
	dropped     func() uint64               // the async stage's drop count
}

// AsyncStage says where the stack's asynchronous hand-off sits.
type AsyncStage int

const (
	// AsyncHandler queues records with async.Handler in front of
	// handler.JSONHandler: the encoding happens on the drain goroutine.
	AsyncHandler AsyncStage = iota
	// AsyncWriter queues bytes with async.Writer under
	// handler.JSONHandler: the encoding happens on the caller.
	AsyncWriter
)

// NewStack builds the stack writing to w, with the given sampling options
// and asynchronous stage.
func NewStack(w io.Writer, so sampling.Options, stage AsyncStage) *Stack {
	var (
		tail slog.Handler
		st   Stack
	)
	switch stage {
	case AsyncWriter:
		aw := async.NewWriter(w, async.DefaultOptions())
		tail, st.close, st.dropped = handler.NewJSONHandler(aw, nil), aw.Close, func() uint64 { return aw.Stats().Dropped }
	default:
		ah := async.NewHandler(handler.NewJSONHandler(w, nil), async.DefaultOptions())
		tail, st.close, st.dropped = ah, ah.Close, func() uint64 { return ah.Stats().Dropped }
	}
	st.aggregation = aggregation.NewHandler(redact.NewHandler(tail, redact.Options{}), aggregation.Options{})
	h := slogmulti.Pipe(sampling.NewMiddleware(so), httpctx.NewMiddleware(httpctx.HandlerOptions{})).Handler(st.aggregation)
	st.Logger = BindService(slog.New(h))
	return &st
}

// Close writes the open summaries and drains the queue, in that order; it
// returns the records the queue counted as dropped.
func (s *Stack) Close() (dropped uint64, err error) {
	err = s.aggregation.Close()
	err = errors.Join(err, closeWithin(s.close))
	return s.dropped(), err
}

// Request opens a request scope like httpctx's middleware does for an HTTP
// request, with the payload's correlation ID, decided by p. It returns the
// scope's context and the function that ends it.
func Request(p sampling.Policy) (context.Context, func(error)) {
	return httpctx.Start(context.Background(), httpctx.StartOptions{
		CorrelationID: CorrelationID,
		Name:          Path,
		Policy:        p,
	})
}

// Sampled and NotSampled are the policies of sampled and not-sampled
// requests.
var (
	Sampled    = sampling.Policy{Rate: 1}
	NotSampled = sampling.Policy{Rate: -1}
)
