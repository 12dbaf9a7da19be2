package otlpsink_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/otlpsink"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
)

func ExampleNewStack() {
	// A stand-in for the Collector's OTLP/HTTP receiver (in production,
	// Endpoint is "http://otel-collector:4318" or the like).
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer collector.Close()

	cfg := slogstack.DefaultConfig()
	cfg.Scope.OmitTrace = true // the bridge takes trace and span IDs from the context
	stack, err := otlpsink.NewStack(context.Background(), cfg, otlpsink.Options{
		Endpoint: collector.URL,
		Resource: resource.NewSchemaless(semconv.ServiceName("checkout")),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := stack.Logger()
	logger.Info("service started", "port", 8080)
	logger.Error("payment failed", "order", 42, "password", "hunter2") // masked before the wire

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stack.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	st := stack.ExportStats()
	fmt.Printf("handed %d, exported %d, failed %d, dropped %d, abandoned %d, pending %d\n",
		st.Handed, st.Exported, st.Failed, st.Dropped, st.Abandoned, st.Pending)
	// Output:
	// handed 2, exported 2, failed 0, dropped 0, abandoned 0, pending 0
}
