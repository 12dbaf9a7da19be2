package httpctx

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/slogstack/slogstack/internal/cut"
)

// defaultBodyMaxBytes is BodyOptions.MaxBytes in DefaultOptions.
const defaultBodyMaxBytes = 4096

// Keys of the body attributes of the access record.
const (
	keyRequestBody           = "request_body"
	keyRequestBodyTruncated  = "request_body_truncated"
	keyResponseBody          = "response_body"
	keyResponseBodyTruncated = "response_body_truncated"
)

// BodyOptions configures body capture in access records. The zero value
// captures no body; DefaultOptions sets MaxBytes to 4096, so that turning on
// Request or Response is enough.
//
// A body is captured while the handler reads it (request) or writes it
// (response): the first MaxBytes bytes are copied aside, the rest pass
// through untouched, so a body of any size costs at most MaxBytes of memory
// per request and per direction; the copy grows with what arrives, so a
// small body costs a small buffer whatever MaxBytes is. A body whose content type is not text
// (see IsText) is never copied, not even its first byte; a body without a
// Content-Type header is classified by http.DetectContentType on its first
// bytes, as net/http does for responses, and a body with a Content-Encoding
// other than identity counts as binary.
//
// In the access record, a JSON body (application/json or a +json type)
// that was captured whole and is valid JSON is logged as JSON
// (json.RawMessage); any other captured body is logged as a string, and
// when it was cut at MaxBytes, or the handler did not read the request body
// to its end, the record also carries request_body_truncated or
// response_body_truncated = true.
type BodyOptions struct {
	// Request captures request bodies.
	Request bool
	// Response captures response bodies.
	Response bool
	// MaxBytes is the most bytes captured per body; zero (or a negative
	// value) captures nothing, whatever Request and Response say.
	// DefaultOptions sets 4096.
	MaxBytes int
	// IsText reports whether a content type is text that may be logged.
	// Nil means the built-in list: text/*, application/json,
	// application/xml, any +json or +xml type,
	// application/x-www-form-urlencoded, application/x-ndjson,
	// application/javascript, application/graphql and application/yaml
	// (parameters such as charset ignored, case ignored).
	IsText func(contentType string) bool
	// Redact, when set, is given each captured body (its content type and
	// bytes, possibly cut at MaxBytes) before it is logged and returns what
	// to log instead. It may modify and return body. A JSON body is logged
	// as JSON only if what Redact returns is still valid JSON. The access
	// record also passes through the logger's own handlers, so a redaction
	// handler there sees the body attribute too.
	Redact func(contentType string, body []byte) []byte
}

// maxBytes returns the most bytes captured per body: MaxBytes, or 0 when
// it is negative.
func (o BodyOptions) maxBytes() int { return max(o.MaxBytes, 0) }

// isTextContentType reports whether a Content-Type value names text:
// text/*, application/json, application/xml, any +json or +xml type,
// application/x-www-form-urlencoded, application/x-ndjson,
// application/javascript, application/graphql and application/yaml.
// Parameters (charset) are ignored and case does not matter.
func isTextContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok {
		return false
	}
	if strings.EqualFold(typ, "text") {
		return true
	}
	if !strings.EqualFold(typ, "application") {
		return hasFoldSuffix(sub, "+json") || hasFoldSuffix(sub, "+xml")
	}
	switch strings.ToLower(sub) {
	case "json", "xml", "x-www-form-urlencoded", "x-ndjson", "javascript",
		"ecmascript", "graphql", "yaml", "x-yaml":
		return true
	}
	return hasFoldSuffix(sub, "+json") || hasFoldSuffix(sub, "+xml")
}

// isJSONContentType reports whether ct is application/json or a +json type.
func isJSONContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok {
		return false
	}
	return (strings.EqualFold(typ, "application") && strings.EqualFold(sub, "json")) || hasFoldSuffix(sub, "+json")
}

func hasFoldSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// bodyCapture keeps the first max bytes of one body. It is safe for
// concurrent use (a handler may read its body from another goroutine).
type bodyCapture struct {
	opts *BodyOptions
	max  int

	mu          sync.Mutex
	decided     bool   // the content type has been classified
	binary      bool   // not text: nothing is copied
	contentType string // as classified
	buf         []byte // at most max bytes
	total       int64  // bytes seen
	complete    bool   // the whole body has been seen (request: EOF)
}

func newBodyCapture(opts *BodyOptions, contentType, contentEncoding string) *bodyCapture {
	c := &bodyCapture{opts: opts, max: opts.maxBytes()}
	if contentType != "" || contentEncoding != "" {
		c.decide(contentType, contentEncoding, nil)
	}
	return c
}

// decide classifies the body from its headers or, with no Content-Type,
// from its first bytes p. It is called before any byte is copied.
func (c *bodyCapture) decide(contentType, contentEncoding string, p []byte) {
	c.decided = true
	if contentEncoding != "" && !strings.EqualFold(contentEncoding, "identity") {
		c.binary = true
		return
	}
	if contentType == "" {
		contentType = http.DetectContentType(p)
	}
	c.contentType = contentType
	isText := c.opts.IsText
	if isText == nil {
		isText = isTextContentType
	}
	c.binary = !isText(contentType)
}

// observe records that p passed through, copying what fits; header is
// consulted to classify the body if that has not been done yet.
func (c *bodyCapture) observe(p []byte, header http.Header) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.decided {
		var ct, ce string
		if header != nil {
			ct, ce = header.Get("Content-Type"), header.Get("Content-Encoding")
		}
		c.decide(ct, ce, p)
	}
	c.total += int64(len(p))
	if c.binary {
		return
	}
	if room := c.max - len(c.buf); room > 0 {
		c.buf = appendBounded(c.buf, p[:min(room, len(p))], c.max)
	}
}

// minCaptureCap is the smallest buffer a capture allocates.
const minCaptureCap = 64

// appendBounded appends p to buf, growing buf with what arrives (doubling,
// from minCaptureCap) but never past limit bytes of capacity: a tiny body
// costs a tiny buffer whatever the limit. len(buf)+len(p) <= limit.
func appendBounded(buf, p []byte, limit int) []byte {
	need := len(buf) + len(p)
	if need <= cap(buf) {
		return append(buf, p...)
	}
	newCap := min(max(2*cap(buf), need, minCaptureCap), limit)
	grown := make([]byte, len(buf), newCap)
	copy(grown, buf)
	return append(grown, p...)
}

// observeUncopied records n bytes that passed without being seen (the
// wrapped writer's ReadFrom, once the capture is full or binary).
func (c *bodyCapture) observeUncopied(n int64) {
	c.mu.Lock()
	c.total += n
	c.mu.Unlock()
}

// wantsBytes reports whether the capture may still copy bytes of a body
// sent with header: false once it is known to be binary (from header, if
// not classified yet and header names a type) or the buffer is full.
func (c *bodyCapture) wantsBytes(header http.Header) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.decided {
		if ct, ce := header.Get("Content-Type"), header.Get("Content-Encoding"); ct != "" || ce != "" {
			c.decide(ct, ce, nil)
		}
	}
	return !c.binary && len(c.buf) < c.max
}

func (c *bodyCapture) markComplete() {
	c.mu.Lock()
	c.complete = true
	c.mu.Unlock()
}

// bodyResult is what a capture contributes to the access record.
type bodyResult struct {
	captured  int  // bytes copied
	binary    bool // skipped as binary
	truncated bool
}

// appendAttrs appends the body attribute (and the truncation mark) to as,
// after Redact, and reports what was captured. A body counts as whole when
// it was seen to its end (markComplete) and no byte of it was cut.
func (c *bodyCapture) appendAttrs(as []slog.Attr, key, truncKey string) ([]slog.Attr, bodyResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.binary {
		return as, bodyResult{binary: true}
	}
	if !c.decided || c.total == 0 {
		return as, bodyResult{}
	}
	whole := c.complete && c.total == int64(len(c.buf))
	body := c.buf
	if !whole {
		// The limit may have cut a secret; what is left of it would not
		// be recognised, so the partial word at the end goes. The byte
		// after the cut is not known: it is taken to continue the word
		// (a digit, so that a card written in groups goes whole too).
		body = body[:len(cut.Prefix(string(body)+"0", len(body)))]
	}
	if c.opts.Redact != nil {
		body = c.opts.Redact(c.contentType, body)
	}
	res := bodyResult{captured: len(c.buf), truncated: !whole}
	if whole && isJSONContentType(c.contentType) && json.Valid(body) {
		return append(as, slog.Any(key, json.RawMessage(body))), res
	}
	as = append(as, slog.String(key, string(body)))
	if !whole {
		as = append(as, slog.Bool(truncKey, true))
	}
	return as, res
}

// requestBody tees what the handler reads from a request body into a
// capture.
type requestBody struct {
	rc     io.ReadCloser
	c      *bodyCapture
	header http.Header
}

func (b *requestBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.c.observe(p[:n], b.header)
	}
	if err == io.EOF {
		b.c.markComplete()
	}
	return n, err
}

func (b *requestBody) Close() error { return b.rc.Close() }
