package otlpsink

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// refusingDialer refuses connections, reporting each attempt, until up is
// closed.
type refusingDialer struct {
	attempts chan struct{}
	up       chan struct{}
}

func (d *refusingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	select {
	case <-d.up:
		var dialer net.Dialer
		return dialer.DialContext(ctx, network, addr)
	default:
	}
	select {
	case d.attempts <- struct{}{}:
	default:
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// TestRefusedConnectionIsRetried: while the Collector is not listening
// (being restarted), exports are attempted again until it listens, within
// the export's deadline: nothing lost.
func TestRefusedConnectionIsRetried(t *testing.T) {
	c := newCollector(t)
	dialer := &refusingDialer{attempts: make(chan struct{}, 64), up: make(chan struct{})}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = dialer.DialContext
	t.Cleanup(transport.CloseIdleConnections)
	opts := testOptions(c)
	opts.ExporterOptions = append(opts.ExporterOptions, otlploghttp.WithHTTPClient(&http.Client{Transport: transport}))
	s := newTestStack(t, plainConfig(true), opts)
	const n = 100
	for i := range n {
		s.Logger().Info("record", "i", i)
	}
	<-dialer.attempts // refused once
	close(dialer.up)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if st := s.ExportStats(); st.Exported != n || st.Handed != n || len(c.received()) != n {
		t.Errorf("ExportStats %+v, server received %d: want all %d exported", st, len(c.received()), n)
	}
}

// TestRefusedUntilTheDeadline: a Collector that never listens fails the
// export at its deadline, with the refusal in the error.
func TestRefusedUntilTheDeadline(t *testing.T) {
	c := newCollector(t)
	c.close()
	opts := testOptions(c)
	opts.ExportTimeout = 300 * time.Millisecond
	s := newTestStack(t, plainConfig(true), opts)
	s.Logger().Info("record")
	err := s.Shutdown(context.Background())
	st := s.ExportStats()
	if err == nil || st.Failed != 1 || st.Handed != 1 {
		t.Errorf("Shutdown: %v; ExportStats %+v: want the record failed", err, st)
	}
	if !containsAll(st.LastError, "export timeout", "connection refused") {
		t.Errorf("LastError %q: want the refusal and the deadline", st.LastError)
	}
}

var errDeployEnds = errors.New("the deploy ends")

// TestRefusedEndsAtShutdownDeadline: with the default 30 s ExportTimeout,
// a Collector that never listens keeps an export retrying; Shutdown's
// shorter deadline ends it: Shutdown returns, the records are abandoned
// (given up at Shutdown, not failed: whether they were in a periodic export
// or in Shutdown's own) and no goroutine is left retrying.
func TestRefusedEndsAtShutdownDeadline(t *testing.T) {
	checkNoLeak(t)
	c := newCollector(t)
	c.close()
	opts := testOptions(c)
	opts.ExportTimeout = 0 // 30 s
	for _, async := range []bool{true, false} {
		s := newTestStack(t, plainConfig(async), opts)
		const n = 50
		for i := range n {
			s.Logger().Info("record", "i", i)
		}
		// Without an async queue, the deadline has a cause of its own.
		ctx, cancel := context.WithTimeoutCause(context.Background(), 200*time.Millisecond, errDeployEnds)
		if async {
			ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
		}
		start := time.Now()
		err := s.Shutdown(ctx)
		elapsed := time.Since(start)
		cancel()
		if elapsed > 5*time.Second { // a hang guard, not a performance assertion
			t.Errorf("async=%v: Shutdown took %v with a 200ms deadline", async, elapsed)
		}
		st := s.ExportStats()
		if err == nil || st.Handed != n || st.Abandoned != n || st.Pending != 0 {
			t.Errorf("async=%v: Shutdown: %v; ExportStats %+v: want all %d abandoned", async, err, st, n)
		}
	}
}

// cutExporter refuses its first export; its second one is cut short by
// the export's deadline.
type cutExporter struct {
	sdklog.Exporter
	attempts int
	cancel   context.CancelCauseFunc
}

func (e *cutExporter) Export(ctx context.Context, _ []sdklog.Record) error {
	e.attempts++
	if e.attempts == 1 {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	e.cancel(errors.New("processor export timeout"))
	return ctx.Err()
}

// TestRefusedCutByTheDeadlineKeepsTheRefusal: an attempt again after a
// refusal that the deadline cuts short reports the deadline and the
// refusal, not only "context canceled".
func TestRefusedCutByTheDeadlineKeepsTheRefusal(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	e := &cutExporter{cancel: cancel}
	err := exportRetryingRefused(ctx, e, nil)
	if err == nil || !containsAll(err.Error(), "processor export timeout", "connection refused") || e.attempts != 2 {
		t.Errorf("after %d attempts: %v, want the deadline's cause and the refusal", e.attempts, err)
	}
}
