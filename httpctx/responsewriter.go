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
// Unwrap for http.ResponseController. The handler gets it through
// withOptional (writers_gen.go), as a value that has exactly the optional
// interfaces of the wrapped writer among http.Flusher, FlushError() error,
// http.Hijacker, http.Pusher, io.ReaderFrom and io.StringWriter, so that a
// feature check by type assertion gives the same answer as without the
// middleware.
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

//go:generate go run gen_writers.go

var _ interface {
	http.ResponseWriter
	Unwrap() http.ResponseWriter
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

// writeString writes s without converting it to a byte slice (the wrapped
// writer is an io.StringWriter).
func (rw *responseWriter) writeString(s string) (int, error) {
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

// sniffLen is what net/http's own ReadFrom copies through Write before it
// writes the header: a source that ends before its first byte writes none.
const sniffLen = 512

// readFrom copies src to the response. The first bytes go through Write:
// until the header is written (so that, as with net/http's ReadFrom, an
// empty source writes no header and the handler may still set the status),
// and while the body capture has room. The rest go to the wrapped writer's
// ReadFrom, which lets net/http use sendfile for files.
func (rw *responseWriter) readFrom(src io.Reader) (int64, error) {
	var n0 int64
	if lead := rw.leadBytes(); lead > 0 {
		var err error
		n0, err = io.Copy(writerOnly{rw}, io.LimitReader(src, lead))
		if err != nil || n0 < lead {
			return n0, err
		}
	}
	rf, ok := rw.w.(io.ReaderFrom)
	if !ok {
		n, err := io.Copy(writerOnly{rw}, src)
		return n0 + n, err
	}
	n, err := rf.ReadFrom(src)
	rw.bytes += n
	if rw.body != nil {
		rw.body.observeUncopied(n)
	}
	return n0 + n, err
}

// leadBytes returns how many bytes readFrom passes through Write before
// handing the source to the wrapped writer.
func (rw *responseWriter) leadBytes() int64 {
	var n int64
	if !rw.wroteHeader && !rw.hijacked {
		n = sniffLen
	}
	if rw.body != nil {
		n = max(n, int64(rw.body.room()))
	}
	return n
}

// flushErrorer is what http.ResponseController.Flush looks for first.
type flushErrorer interface{ FlushError() error }

// writerOnly hides every method but Write, so that io.Copy does not call
// ReadFrom again.
type writerOnly struct{ io.Writer }

// flushError writes the header if needed and flushes buffered data to the
// client (the wrapped writer is an http.Flusher or has FlushError).
func (rw *responseWriter) flushError() error {
	if !rw.wroteHeader && !rw.hijacked {
		rw.writeHeader(http.StatusOK)
	}
	return http.NewResponseController(rw.w).Flush()
}

// flush is http.Flusher's Flush.
func (rw *responseWriter) flush() { _ = rw.flushError() }

// hijack hijacks the wrapped writer (an http.Hijacker).
func (rw *responseWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := rw.w.(http.Hijacker).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, brw, err
}

// push is http.Pusher's Push on the wrapped writer (an http.Pusher).
func (rw *responseWriter) push(target string, opts *http.PushOptions) error {
	return rw.w.(http.Pusher).Push(target, opts)
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
