package httpctx

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// responseWriter wraps the handler's http.ResponseWriter: it sets the
// correlation headers when the header is written, records the status and
// the bytes written, tees the first bytes of the body into a capture, and
// keeps the request's scope when a 5xx status is written. It implements
// http.Flusher, http.Hijacker, http.Pusher, io.ReaderFrom and
// io.StringWriter, and Unwrap for http.ResponseController.
type responseWriter struct {
	w     http.ResponseWriter
	scope *reqscope.Scope
	body  *bodyCapture // nil unless response bodies are captured

	status      int
	bytes       int64
	wroteHeader bool
	hijacked    bool
	keptBy5xx   bool
	headerVals  [2]string // backing store for the two header values
}

var _ interface {
	http.ResponseWriter
	http.Flusher
	http.Hijacker
	http.Pusher
	io.ReaderFrom
	io.StringWriter
} = (*responseWriter)(nil)

// Header returns the wrapped writer's header map.
func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader writes the final header with the correlation headers added,
// or passes an informational (1xx) header through.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.wroteHeader || rw.hijacked || code < 100 || code > 999 ||
		(code <= 199 && code != http.StatusSwitchingProtocols) {
		// Informational headers may come before the final one; a
		// superfluous call and an invalid code are net/http's to report.
		rw.w.WriteHeader(code)
		return
	}
	rw.writeHeader(code)
}

// writeHeader writes the final header once.
func (rw *responseWriter) writeHeader(code int) {
	rw.wroteHeader = true
	rw.status = code
	if code >= 500 && rw.scope.Keep() {
		rw.keptBy5xx = true
	}
	h := rw.w.Header()
	rw.headerVals[0] = rw.scope.CorrelationID()
	if rw.scope.Sampled() {
		rw.headerVals[1] = "true"
	} else {
		rw.headerVals[1] = "false"
	}
	h[HeaderCorrelationID] = rw.headerVals[0:1:1]
	h[HeaderLogSampled] = rw.headerVals[1:2:2]
	rw.w.WriteHeader(code)
}

// Write writes p, writing the header first (200) if it has not been.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader && !rw.hijacked {
		rw.writeHeader(http.StatusOK)
	}
	n, err := rw.w.Write(p)
	rw.bytes += int64(n)
	if rw.body != nil && n > 0 {
		rw.body.observe(p[:n], rw.w.Header())
	}
	return n, err
}

// WriteString writes s without converting it to a byte slice when the
// wrapped writer can do the same.
func (rw *responseWriter) WriteString(s string) (int, error) {
	sw, ok := rw.w.(io.StringWriter)
	if !ok || rw.body != nil {
		return rw.Write([]byte(s))
	}
	if !rw.wroteHeader && !rw.hijacked {
		rw.writeHeader(http.StatusOK)
	}
	n, err := sw.WriteString(s)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom copies src to the response. The first bytes go through Write
// (for the body capture); the rest go to the wrapped writer's ReadFrom,
// which lets net/http use sendfile for files.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.wroteHeader && !rw.hijacked {
		rw.writeHeader(http.StatusOK)
	}
	var n0 int64
	if rw.body != nil {
		if room := rw.body.room(); room > 0 {
			var err error
			n0, err = io.CopyN(writerOnly{rw}, src, int64(room))
			if err == io.EOF {
				return n0, nil
			}
			if err != nil {
				return n0, err
			}
		}
	}
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(src)
		rw.bytes += n
		if rw.body != nil {
			rw.body.observeUncopied(n)
		}
		return n0 + n, err
	}
	n, err := io.Copy(writerOnly{rw}, src)
	return n0 + n, err
}

// writerOnly hides every method but Write, so that io.Copy does not call
// ReadFrom again.
type writerOnly struct{ io.Writer }

// FlushError writes the header if needed and flushes buffered data to the
// client; it returns an error wrapping http.ErrNotSupported when the
// wrapped writer cannot flush. http.ResponseController.Flush calls it.
func (rw *responseWriter) FlushError() error {
	if !rw.wroteHeader && !rw.hijacked {
		rw.writeHeader(http.StatusOK)
	}
	return http.NewResponseController(rw.w).Flush()
}

// Flush implements http.Flusher; it does nothing when the wrapped writer
// cannot flush.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// Hijack implements http.Hijacker by hijacking the wrapped writer (through
// http.ResponseController, so writers that only Unwrap work too).
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, brw, err
}

// Push implements http.Pusher (HTTP/2 server push) when the wrapped writer
// does; otherwise it returns http.ErrNotSupported.
func (rw *responseWriter) Push(target string, opts *http.PushOptions) error {
	if p, ok := rw.w.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
