package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// attempts records the error of each request that failed below the
// exporter's client.
type attempts struct {
	next http.RoundTripper
	errs chan error
}

func (a attempts) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err != nil {
		select {
		case a.errs <- err:
		default: // the test reads the first ones only
		}
	}
	return resp, err
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func exportRecords(bodies ...string) []sdklog.Record {
	records := make([]sdklog.Record, len(bodies))
	for i, b := range bodies {
		records[i].SetBody(attribute.StringValue(b))
	}
	return records
}

// TestExportRidesOutCollectorRestart exports to an address where no
// collector listens yet through the service's exporter client, starts the
// collector once the exporter has failed to connect, and checks that the
// export retried and delivered every record once; and, as the reason for
// the client, that the exporter's own client gives the same export up at
// the first refused connection.
func TestExportRidesOutCollectorRestart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client func(next http.RoundTripper) *http.Client
		wantOK bool
	}{
		{"service's client", newExportHTTPClient, true},
		{"plain client", func(next http.RoundTripper) *http.Client { return &http.Client{Transport: next} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			errs := make(chan error, 64)
			next := attempts{next: http.DefaultTransport.(*http.Transport).Clone(), errs: errs}
			exp, err := otlploghttp.New(context.Background(),
				otlploghttp.WithEndpointURL("http://"+addr+"/v1/logs"),
				otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: true, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsedTime: time.Minute}),
				otlploghttp.WithHTTPClient(tc.client(next)))
			if err != nil {
				t.Fatal(err)
			}
			defer exp.Shutdown(context.Background())
			done := make(chan error, 1)
			go func() { done <- exp.Export(context.Background(), exportRecords("one", "two", "three")) }()

			if first := <-errs; !errors.Is(first, syscall.ECONNREFUSED) {
				t.Fatalf("first attempt: %v, want a refused connection", first)
			}
			if !tc.wantOK {
				if err := <-done; err == nil || !strings.Contains(err.Error(), "connection refused") {
					t.Fatalf("Export = %v, want the refused connection", err)
				}
				if len(errs) != 0 {
					t.Errorf("%d more attempts after the refused connection, want none", len(errs))
				}
				return
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			collector := newOTLPServerOn(t, http.StatusOK, ln)
			if err := <-done; err != nil {
				t.Fatalf("Export = %v, want the records delivered once the collector listens", err)
			}
			var bodies []string
			for _, r := range collector.received() {
				bodies = append(bodies, r.body)
			}
			if diff := cmp.Diff([]string{"one", "two", "three"}, bodies); diff != "" {
				t.Errorf("records at the collector (-want +got):\n%s", diff)
			}
		})
	}
}

// stubTransport answers every request with err.
type stubTransport struct{ err error }

func (s stubTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, s.err }

// TestRetryDialsMarksOnlyDials checks which errors retryDials makes
// temporary: a failed dial only (the request was never sent); a request
// that failed after it was sent keeps its error as it was, and each keeps
// its text and its cause.
func TestRetryDialsMarksOnlyDials(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, tc := range []struct {
		name          string
		err           error
		wantTemporary bool
	}{
		{"refused dial", dial, true},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}, true},
		{"reset while reading", read, false},
		{"unexpected EOF", io.ErrUnexpectedEOF, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/v1/logs", nil)
			_, err := retryDials{next: stubTransport{tc.err}}.RoundTrip(req)
			tmp, ok := err.(interface{ Temporary() bool })
			if got := ok && tmp.Temporary(); got != tc.wantTemporary {
				t.Errorf("temporary = %v, want %v (%T)", got, tc.wantTemporary, err)
			}
			if !errors.Is(err, tc.err) || err.Error() != tc.err.Error() {
				t.Errorf("error %q does not keep %q", err, tc.err)
			}
		})
	}
}
