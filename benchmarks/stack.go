package benchmarks

import (
	"context"
	"io"
	"log/slog"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/scope"
)

// Stack is a slogstack stack as a service builds it, through the public
// builder (slogstack.NewStack or slogstack.NewStackWithSink), with its
// logger bound to the payload's service. Its layers are the ones the
// Config switches on, in the builder's order (docs/architecture.md;
// Stack.String lists them).
type Stack struct {
	// Logger logs through the stack, bound to the payload's service; the
	// correlation ID comes from the request scope in the context.
	Logger *slog.Logger

	stack *slogstack.Stack
}

// Queue says which asynchronous queue the stack has, that is, which
// builder builds it.
type Queue int

const (
	// QueueRecords builds the stack with slogstack.NewStackWithSink over a
	// handler.JSONHandler: async.Handler queues records, and the encoding
	// happens on the drain goroutine.
	QueueRecords Queue = iota
	// QueueBytes builds the stack with slogstack.NewStack: async.Writer
	// queues the bytes handler.JSONHandler encodes on the caller.
	QueueBytes
)

// NewStack builds the stack cfg describes writing to w, with the queue q
// (when cfg.Async is on). It returns the builder's error for a cfg that
// does not validate.
func NewStack(w io.Writer, cfg slogstack.Config, q Queue) (*Stack, error) {
	var (
		s   *slogstack.Stack
		err error
	)
	switch q {
	case QueueBytes:
		s, err = slogstack.NewStack(w, cfg)
	default:
		s, err = slogstack.NewStackWithSink(handler.NewJSONHandler(w, nil), cfg)
	}
	if err != nil {
		return nil, err
	}
	return &Stack{Logger: BindService(s.Logger()), stack: s}, nil
}

// StackConfig returns slogstack.DefaultConfig with requests sampled at
// rate (1: every request, 0: none) and, unless buffer is set, no
// per-request buffering of the records of requests not sampled.
func StackConfig(rate float64, buffer bool) slogstack.Config {
	cfg := slogstack.DefaultConfig()
	cfg.SamplingPolicy.Rate = rate
	if !buffer {
		cfg.SamplingOptions.MaxRequestRecords = 0
	}
	return cfg
}

// Close shuts the stack down (open summaries written, then the queue
// drained), waiting at most CloseTimeout; it returns the records the queue
// counted as dropped.
func (s *Stack) Close() (dropped uint64, err error) {
	err = closeWithin(s.stack.Shutdown)
	if st := s.stack.Stats().Async; st != nil {
		dropped = st.Dropped
	}
	return dropped, err
}

// Request opens a request scope with the stack's options, as the stack's
// HTTP middleware does for an HTTP request, with the payload's path and
// correlation ID. It returns the scope's context and the function that
// ends it.
func (s *Stack) Request() (context.Context, func(error)) {
	opts := s.stack.ScopeOptions(Path)
	opts.CorrelationID = CorrelationID
	// The rows measure the records a request logs; the scope's completion
	// record would add one per request that the peers do not write.
	opts.CompletionLog = false
	return scope.Start(context.Background(), opts)
}
