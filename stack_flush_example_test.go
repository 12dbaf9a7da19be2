package slogstack_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/slogstack/slogstack"
)

// A program that must exit with a status (a failed job, a bad start) logs
// the reason, flushes the stack with a deadline and then exits: os.Exit
// runs no deferred function, so a deferred Shutdown would never write the
// queued records. (The example prints the exit code instead of exiting.)
func ExampleStack_Flush() {
	cfg := slogstack.DefaultConfig() // async on: records are queued
	cfg.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{} // no time, so that the output can be checked
		}
		return a
	}
	stack, err := slogstack.NewStack(os.Stdout, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logger := stack.Logger()

	if err := errors.New("database unreachable"); err != nil {
		logger.Error("cannot start", "err", err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := stack.Flush(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		cancel()
		fmt.Println("os.Exit(1)") // a real program calls os.Exit(1) here
	}
	// Output:
	// {"level":"ERROR","msg":"cannot start","err":"database unreachable"}
	// os.Exit(1)
}
