package httpctx

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// responseWriter wraps the handler's http.ResponseWriter: it sets the
// correlation headers when the header is written, records the status and
// the bytes written, tees the first bytes of the body into a capture, and
// keeps the request's scope when a 5xx status is written. Its Unwrap, for
// http.ResponseController, returns a controllerWriter (controller.go). The
// handler gets it through withOptional (writers_gen.go), as a value that
// has exactly the optional interfaces of the wrapped writer among
// http.Flusher, FlushError() error, http.Hijacker, http.Pusher,
// io.ReaderFrom and io.StringWriter, so that a feature check by type
// assertion gives the same answer as without the middleware.
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

// writeHeader writes the final header once, with the correlation headers.
func (rw *responseWriter) writeHeader(code int) {
	rw.prepareHeader(code)
	rw.w.WriteHeader(code)
}

// prepareHeader records the final status and sets the correlation headers,
// once. Without writeHeader's explicit call it is for the header the
// wrapped writer sends by itself (on the first Write or Flush, or at the end
// of the request), as without the middleware: a writer that sniffs the
// content type from the first Write still can.
func (rw *responseWriter) prepareHeader(code int) {
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
	h[headerCorrelationID] = rw.headerVals[0:1:1]
	h[headerLogSampled] = rw.headerVals[1:2:2]
}

// implicitHeader prepares the 200 header that the wrapped writer sends by
// itself, if no header has been written.
func (rw *responseWriter) implicitHeader() {
	if !rw.wroteHeader && !rw.hijacked {
		rw.prepareHeader(http.StatusOK)
	}
}

// Write writes p; the first Write sends the header (200) if it has not
// been written.
func (rw *responseWriter) Write(p []byte) (int, error) {
	rw.implicitHeader()
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
	rw.implicitHeader()
	n, err := sw.WriteString(s)
	rw.bytes += int64(n)
	return n, err
}

// readFrom copies src to the response through the wrapped writer's
// ReadFrom, which lets net/http use sendfile for files and keeps its own
// choices (when it flushes, chunked or not) as without the middleware.
// While the body capture may still copy bytes, src is read through a tee
// into the capture (which hides a file from sendfile; a body known to be
// binary, or a full capture, is not teed). When no header has been
// written, the correlation headers are set before that ReadFrom (which
// sends the header with its first byte), and taken back if it wrote
// nothing: as with net/http's own ReadFrom, a source that fails or ends
// before its first byte sends no header, so the handler can still set the
// status.
func (rw *responseWriter) readFrom(src io.Reader) (int64, error) {
	rf, ok := rw.w.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{rw}, src)
	}
	tentative := !rw.wroteHeader && !rw.hijacked
	if tentative {
		rw.prepareHeader(http.StatusOK)
	}
	r, teed := src, false
	if rw.body != nil && rw.body.wantsBytes(rw.w.Header()) {
		r, teed = &captureReader{src: src, c: rw.body, header: rw.w.Header()}, true
	}
	n, err := rf.ReadFrom(r)
	if tentative && n == 0 {
		rw.unprepareHeader()
	}
	rw.bytes += n
	if rw.body != nil && !teed {
		rw.body.observeUncopied(n)
	}
	return n, err
}

// captureReader tees what is read from src into a body capture.
type captureReader struct {
	src    io.Reader
	c      *bodyCapture
	header http.Header
}

func (r *captureReader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	if n > 0 {
		r.c.observe(p[:n], r.header)
	}
	return n, err
}

// unprepareHeader takes back a 200 header prepared for a ReadFrom that
// wrote nothing.
func (rw *responseWriter) unprepareHeader() {
	rw.wroteHeader = false
	rw.status = 0
	h := rw.w.Header()
	delete(h, headerCorrelationID)
	delete(h, headerLogSampled)
}

// flushErrorer is what http.ResponseController.Flush looks for first.
type flushErrorer interface{ FlushError() error }

// writerOnly hides every method but Write, so that io.Copy does not call
// ReadFrom again.
type writerOnly struct{ io.Writer }

// flushError prepares the header if none has been written and flushes
// buffered data to the client through the wrapped writer. Where that
// cannot flush (http.ErrNotSupported), nothing is sent, so the prepared
// header is taken back and the handler can still set the status.
func (rw *responseWriter) flushError() error {
	tentative := !rw.wroteHeader && !rw.hijacked
	if tentative {
		rw.prepareHeader(http.StatusOK)
	}
	err := http.NewResponseController(rw.w).Flush()
	if tentative && errors.Is(err, http.ErrNotSupported) {
		rw.unprepareHeader()
	}
	return err
}

// flush is http.Flusher's Flush.
func (rw *responseWriter) flush() { _ = rw.flushError() }

// hijack hijacks the connection through the wrapped writer and notes a
// successful hijack for the access record.
func (rw *responseWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, brw, err
}

// push is http.Pusher's Push on the wrapped writer (an http.Pusher).
func (rw *responseWriter) push(target string, opts *http.PushOptions) error {
	return rw.w.(http.Pusher).Push(target, opts)
}

// Unwrap returns, for http.ResponseController, a writer that does the
// middleware's part of each controller feature before passing it to the
// wrapped writer (controller.go).
func (rw *responseWriter) Unwrap() http.ResponseWriter { return controllerWriter{rw} }
