package main

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/slogstack/slogstack"
)

// checkAdminAddr accepts "" (no admin listener), a loopback address
// (127.0.0.0/8, ::1 or localhost, with a port), and any other address only
// when public is set: the admin endpoints change logging and show the
// stack's counters without authenticating, so by default only the machine
// itself reaches them.
func checkAdminAddr(addr string, public bool) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-admin-addr %q: %v", addr, err)
	}
	if public || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("-admin-addr %q is not a loopback address: the admin endpoints change logging and do not authenticate; listen on 127.0.0.1 or [::1] (behind an authenticating proxy), or add -admin-public", addr)
}

// isLoopback reports whether host names the loopback interface only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// adminRoutes are the operator's endpoints, served on their own listener
// (-admin-addr), outside the logging middleware, so reading them logs
// nothing and changes no counter:
//
//	GET, PUT /logging  the level and sampling policy in force (Stack.ControlHandler)
//	GET /metrics       the stack's counters in the Prometheus text format (OpenTelemetry)
//	GET /debug/vars    expvar, with the stack's Stats as "slogstack"
func adminRoutes(stack *slogstack.Stack, metrics http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/logging", stack.ControlHandler())
	mux.Handle("GET /metrics", metrics)
	mux.Handle("GET /debug/vars", expvar.Handler())
	return mux
}

// newAdminServer returns the admin listener's server.
func newAdminServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
}

// adminServer is the admin listener's server and the metrics it serves.
// A nil *adminServer (no -admin-addr) does nothing.
type adminServer struct {
	ln       net.Listener
	srv      *http.Server
	metrics  *metrics
	serveErr chan error
}

// loopbackHostsOnly refuses, with 421 Misdirected Request, a request whose
// Host is not a loopback IP address or localhost: a loopback listener is
// still reachable from a browser on the machine through a name the attacker
// makes resolve to 127.0.0.1 (DNS rebinding), and such a request names the
// attacker's host.
func loopbackHostsOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host // no port
		}
		if !isLoopback(strings.Trim(host, "[]")) {
			http.Error(w, "the admin endpoints answer only requests to a loopback address or localhost (see -admin-public)", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// startAdmin serves adminRoutes on ln; a nil ln starts nothing and
// returns nil. Unless public, it answers only requests addressed to a
// loopback host (loopbackHostsOnly).
func startAdmin(ln net.Listener, stack *slogstack.Stack, log *slog.Logger, public bool) (*adminServer, error) {
	if ln == nil {
		return nil, nil
	}
	m, err := newMetrics(stack)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var routes http.Handler = adminRoutes(stack, m.handler)
	if !public {
		routes = loopbackHostsOnly(routes)
	}
	a := &adminServer{
		ln:       ln,
		srv:      newAdminServer(routes, log),
		metrics:  m,
		serveErr: make(chan error, 1),
	}
	go func() { a.serveErr <- a.srv.Serve(ln) }()
	return a, nil
}

// addr is the listener's address, or "" without one.
func (a *adminServer) addr() string {
	if a == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// shutdown stops the listener, waits for the requests in flight, and
// stops the metrics.
func (a *adminServer) shutdown(ctx context.Context) error {
	if a == nil {
		return nil
	}
	err := a.srv.Shutdown(ctx)
	if serr := <-a.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, a.metrics.shutdown(ctx))
}
