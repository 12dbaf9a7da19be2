package httpctx

import (
	"bufio"
	"net"
	"net/http"
	"time"
)

// controllerWriter is what the handler's writer unwraps to, for
// http.ResponseController. The controller looks for a feature on the
// handler's writer, which has exactly the optional interfaces of the
// wrapped writer, and otherwise follows Unwrap. When the wrapped writer
// reaches its features only through its own Unwrap (the wrapper style of
// Go 1.20 and later), the controller would skip the middleware and flush
// a header without the correlation headers, or hijack the connection
// without the middleware knowing. controllerWriter stops that walk: it has
// every method the controller looks for, each doing the middleware's part
// (prepare the header before a flush, note a hijack) and then asking a
// controller on the wrapped writer, which answers as it would without the
// middleware (http.ErrNotSupported included). Its Header, Write and
// WriteHeader go through the middleware; its Unwrap returns the wrapped
// writer.
type controllerWriter struct{ rw *responseWriter }

var _ interface {
	http.ResponseWriter
	FlushError() error
	http.Hijacker
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	EnableFullDuplex() error
	Unwrap() http.ResponseWriter
} = controllerWriter{}

// Header returns the wrapped writer's header map.
func (c controllerWriter) Header() http.Header { return c.rw.Header() }

// Write is the handler's writer's Write.
func (c controllerWriter) Write(p []byte) (int, error) { return c.rw.Write(p) }

// WriteHeader is the handler's writer's WriteHeader.
func (c controllerWriter) WriteHeader(code int) { c.rw.WriteHeader(code) }

// FlushError prepares the header if none has been written and flushes
// through the wrapped writer; where that cannot flush, it sends nothing
// and returns an error wrapping http.ErrNotSupported.
func (c controllerWriter) FlushError() error { return c.rw.flushError() }

// Hijack hijacks the connection through the wrapped writer and, if that
// succeeds, has the access record say so.
func (c controllerWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return c.rw.hijack() }

// SetReadDeadline sets the read deadline through the wrapped writer.
func (c controllerWriter) SetReadDeadline(deadline time.Time) error {
	return http.NewResponseController(c.rw.w).SetReadDeadline(deadline)
}

// SetWriteDeadline sets the write deadline through the wrapped writer.
func (c controllerWriter) SetWriteDeadline(deadline time.Time) error {
	return http.NewResponseController(c.rw.w).SetWriteDeadline(deadline)
}

// EnableFullDuplex enables full duplex through the wrapped writer.
func (c controllerWriter) EnableFullDuplex() error {
	return http.NewResponseController(c.rw.w).EnableFullDuplex()
}

// Unwrap returns the wrapped writer.
func (c controllerWriter) Unwrap() http.ResponseWriter { return c.rw.w }
