package scope_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// exampleSink is a JSON handler to stdout without times, so that the
// examples' output is stable.
func exampleSink() slog.Handler {
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
}

// A job opens a scope with Start, logs through the logger bound to it, and
// ends it with its error: a failed job keeps its records even when it was
// not sampled.
func Example() {
	logger := slog.New(scope.NewHandler(exampleSink(), scope.HandlerOptions{}))
	runJob := func(msgID string) (err error) {
		ctx, end := scope.Start(context.Background(), scope.Options{
			Name:          "queue/orders",
			CorrelationID: msgID,
			Policy:        sampling.DefaultPolicy(),
			Logger:        logger,
		})
		defer func() { end(err) }()
		scope.Logger(ctx).Info("processing")
		if msgID == "m-2" {
			return errors.New("bad message")
		}
		return nil
	}
	_ = runJob("m-1")
	_ = runJob("m-2")
	// Output:
	// {"level":"INFO","msg":"processing","correlation_id":"m-1"}
	// {"level":"INFO","msg":"processing","correlation_id":"m-2"}
}

// Code that receives only a context logs through Logger(ctx): the records
// carry the scope's correlation ID even when logged without a context.
func ExampleLogger() {
	logger := slog.New(scope.NewHandler(exampleSink(), scope.HandlerOptions{}))
	ctx, end := scope.Start(context.Background(), scope.Options{CorrelationID: "req-7", Logger: logger})
	defer end(nil)

	chargeCard := func(ctx context.Context, cents int) {
		log := scope.Logger(ctx) // bound to this scope
		log.Info("charging", "cents", cents)
	}
	chargeCard(ctx, 1250)
	logger.Info("plain logger, no context") // carries no correlation_id
	// Output:
	// {"level":"INFO","msg":"charging","cents":1250,"correlation_id":"req-7"}
	// {"level":"INFO","msg":"plain logger, no context"}
}

// Under an open group, the correlation attributes still go to the top
// level of the record.
func ExampleNewHandler() {
	logger := slog.New(scope.NewHandler(exampleSink(), scope.HandlerOptions{}))
	ctx, end := scope.Start(context.Background(), scope.Options{CorrelationID: "abc"})
	defer end(nil)
	logger.WithGroup("db").InfoContext(ctx, "query", "rows", 3)
	// Output:
	// {"level":"INFO","msg":"query","correlation_id":"abc","db":{"rows":3}}
}

// DecisionOf reads the scope's sampling decision; Keep turns a scope that
// was not sampled into a kept one, as an error would.
func ExampleDecisionOf() {
	ctx, end := scope.Start(context.Background(), scope.Options{
		Name:   "/healthz",
		Policy: sampling.DefaultPolicy(),
	})
	defer end(nil)
	d, _ := scope.DecisionOf(ctx)
	fmt.Printf("%+v\n", d)
	scope.Keep(ctx)
	d, _ = scope.DecisionOf(ctx)
	fmt.Printf("%+v\n", d)
	_, ok := scope.DecisionOf(context.Background())
	fmt.Println(ok)
	// Output:
	// {Sampled:false Rate:0.1 Reason:excluded}
	// {Sampled:true Rate:0.1 Reason:error}
	// false
}

// With CompletionLog, ending a scope logs one completion record, like an
// HTTP access record: here the sampling handler drops the records of the
// job that succeeded (rate 0), and the failed job keeps its records and
// ends with the error at ERROR. (The example removes the duration, which
// varies, from its output.)
func ExampleOptions_completionLog() {
	sink := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "duration") {
				return slog.Attr{}
			}
			return a
		},
	})
	logger := slog.New(sampling.NewHandler(scope.NewHandler(sink, scope.HandlerOptions{}), sampling.DefaultOptions()))
	runJob := func(msgID string) (err error) {
		ctx, end := scope.Start(context.Background(), scope.Options{
			Name:              "queue/orders",
			CorrelationID:     msgID,
			Policy:            sampling.Policy{Rate: 0},
			Logger:            logger,
			CompletionLog:     true,
			CompletionMessage: "scope completed",
		})
		defer func() { end(err) }()
		scope.Logger(ctx).Info("processing")
		if msgID == "m-2" {
			return errors.New("bad message")
		}
		return nil
	}
	_ = runJob("m-1")
	_ = runJob("m-2")
	// Output:
	// {"level":"INFO","msg":"processing","_sampled":true,"_sample_rate":0,"_sample_reason":"error","correlation_id":"m-2"}
	// {"level":"ERROR","msg":"scope completed","_sampled":true,"_sample_rate":0,"_sample_reason":"error","name":"queue/orders","outcome":"error","error":"bad message","correlation_id":"m-2"}
}
