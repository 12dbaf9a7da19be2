package httpctx_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// Service A calls service B through Transport: B logs the request with A's
// correlation ID and, deciding with the same rate, makes the same sampling
// decision (both hash the same ID), so the request is logged in both
// services or in neither.
func ExampleTransport() {
	// newService returns a service named name behind the middleware,
	// logging JSON with a "service" attribute at sampling rate 1.
	newService := func(name string, h http.HandlerFunc) *httptest.Server {
		logger := slog.New(scope.NewHandler(exampleSink(), scope.HandlerOptions{})).With("service", name)
		opts := httpctx.DefaultOptions()
		opts.Logger = logger
		opts.AccessLog = false
		opts.Policy = sampling.Policy{Rate: 1}
		return httptest.NewServer(httpctx.Middleware(opts)(h))
	}

	b := newService("b", func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("working")
		fmt.Fprint(w, "done")
	})
	defer b.Close()

	// A calls B with a client whose transport passes the scope on.
	client := &http.Client{Transport: httpctx.Transport(nil)}
	a := newService("a", func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("calling b")
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, b.URL+"/work", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	})
	defer a.Close()

	req, _ := http.NewRequest(http.MethodGet, a.URL+"/work", nil)
	req.Header.Set("X-Correlation-ID", "order-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(strings.TrimSpace(string(body)))
	// Output:
	// {"level":"INFO","msg":"calling b","service":"a","correlation_id":"order-42"}
	// {"level":"INFO","msg":"working","service":"b","correlation_id":"order-42"}
	// done
}
