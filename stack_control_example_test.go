package slogstack_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/slogstack/slogstack"
)

// An operator raises the sampling rate and turns DEBUG on in a running
// service, through the control endpoint mounted on an admin listener.
func ExampleStack_ControlHandler() {
	cfg := slogstack.DefaultConfig()
	cfg.Async = false
	stack, err := slogstack.NewStack(io.Discard, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stack.Shutdown(context.Background())
	admin := http.NewServeMux()
	admin.Handle("/logging", stack.ControlHandler())
	srv := httptest.NewServer(admin) // in a service: an admin listener on loopback
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/logging",
		strings.NewReader(`{"level":"debug","sampling":{"rate":0.5}}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	_, _ = io.Copy(os.Stdout, resp.Body)
	fmt.Println(stack.Level().Level(), stack.Policy().Load().Rate)
	// Output:
	// 200 OK
	// {"level":"DEBUG","sampling":{"rate":0.5,"always_sample_paths":[],"excluded_paths":["/health","/healthz","/livez","/readyz"],"follow_trace":false}}
	// DEBUG 0.5
}
