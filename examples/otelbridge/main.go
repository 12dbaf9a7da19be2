// Command otelbridge runs slogstack's stack in front of the OpenTelemetry
// log bridge (go.opentelemetry.io/contrib/bridges/otelslog) and the
// OpenTelemetry SDK's logger provider: it serves a few traced requests over
// loopback, some failing, and prints the log records the exporter received.
// Sampled requests arrive with their trace IDs; requests not sampled send
// nothing, unless they fail, in which case all of their records arrive.
//
//	go run .
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/attribute"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "otelbridge:", err)
		os.Exit(1)
	}
}

func run() error {
	exp := &memoryExporter{}
	// The recommended stack, sampling 30% of requests, then the LOG_*
	// variables over it.
	defaults := slogstack.DefaultConfig()
	defaults.SamplingPolicy.Rate = 0.3
	cfg, err := slogstack.ConfigFromEnv(defaults)
	if err != nil {
		return err
	}
	a, err := newApp(exp, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.http, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)

	base := "http://" + ln.Addr().String()
	for i := range 12 {
		path := fmt.Sprintf("/orders/%d", i)
		if i%4 == 3 {
			path += "/fail"
		}
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		traceID := make([]byte, 16)
		rand.Read(traceID)
		req.Header.Set("traceparent", "00-"+hex.EncodeToString(traceID)+"-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Printf("%-18s %d  trace %s  X-Log-Sampled: %s\n", path, resp.StatusCode, hex.EncodeToString(traceID), resp.Header.Get("X-Log-Sampled"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := a.Shutdown(ctx); err != nil {
		return err
	}

	fmt.Println("\nexported OpenTelemetry log records:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tBODY\tTRACE ID\tSPAN ID\tREASON")
	for _, r := range exp.Records() {
		reason := ""
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if kv.Key == "_sample_reason" {
				reason = kv.Value.AsString()
			}
			return true
		})
		body := r.Body()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.SeverityText(), body.AsString(), r.TraceID(), r.SpanID(), reason)
	}
	return tw.Flush()
}
