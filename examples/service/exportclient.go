package main

import (
	"errors"
	"net"
	"net/http"
	"time"
)

// exportAttemptTimeout bounds one export request (the OTLP exporter's own
// default); the exporter's retries and otlpsink's ExportTimeout bound an
// export as a whole.
const exportAttemptTimeout = 10 * time.Second

// newExportHTTPClient is the HTTP client of the OTLP exporter: next (a
// clone of http.DefaultTransport when nil) behind retryDials.
func newExportHTTPClient(next http.RoundTripper) *http.Client {
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{Transport: retryDials{next: next}, Timeout: exportAttemptTimeout}
}

// retryDials makes a request that could not connect (no collector
// listening: it is restarting, or not up yet) one the OTLP/HTTP exporter
// retries, as it retries a 503: its error says it is temporary. The
// exporter retries only temporary errors and 429, 502, 503 and 504; a
// refused connection is none of them, so without this a collector restart
// fails every export attempted while it is down. Only a failed dial is
// marked: the request was never sent, so retrying it cannot deliver its
// records twice.
type retryDials struct{ next http.RoundTripper }

func (t retryDials) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	var op *net.OpError
	if err != nil && errors.As(err, &op) && op.Op == "dial" {
		return nil, temporaryError{err}
	}
	return resp, err
}

// temporaryError is an error its callers may retry (net/url's
// Error.Temporary asks the error it wraps); its text is the error's own.
type temporaryError struct{ error }

func (e temporaryError) Temporary() bool { return true }
func (e temporaryError) Unwrap() error   { return e.error }
