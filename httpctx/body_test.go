package httpctx

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
)

func TestIsTextContentType(t *testing.T) {
	for _, tc := range []struct {
		ct   string
		want bool
	}{
		{"text/plain", true},
		{"text/html; charset=utf-8", true},
		{"TEXT/CSV", true},
		{"application/json", true},
		{"Application/JSON; charset=utf-8", true},
		{"application/problem+json", true},
		{"application/vnd.api+json", true},
		{"application/xml", true},
		{"image/svg+xml", true},
		{"application/x-www-form-urlencoded", true},
		{"application/x-ndjson", true},
		{"application/javascript", true},
		{"application/graphql", true},
		{"application/yaml", true},
		{"application/octet-stream", false},
		{"application/pdf", false},
		{"application/zip", false},
		{"application/grpc", false},
		{"application/protobuf", false},
		{"image/png", false},
		{"video/mp4", false},
		{"multipart/form-data; boundary=x", false},
		{"", false},
		{"json", false},
	} {
		if got := isTextContentType(tc.ct); got != tc.want {
			t.Errorf("isTextContentType(%q) = %v, want %v", tc.ct, got, tc.want)
		}
	}
}

// bodyCase runs one request with body logging and returns the access record.
func bodyCase(t *testing.T, opts BodyOptions, reqCT, reqBody string, readAll bool, respCT, respBody string) (map[string]any, Stats) {
	t.Helper()
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Body: opts}))
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if readAll {
			b, err := io.ReadAll(r.Body)
			if err != nil || string(b) != reqBody {
				t.Errorf("handler read %q, %v; want %q", b, err, reqBody)
			}
		} else {
			_, _ = r.Body.Read(make([]byte, 3))
		}
		if respCT != "" {
			w.Header().Set("Content-Type", respCT)
		}
		_, _ = io.WriteString(w, respBody)
	}))
	req := httptest.NewRequest("POST", "/", strings.NewReader(reqBody))
	if reqCT != "" {
		req.Header.Set("Content-Type", reqCT)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Body.String() != respBody {
		t.Errorf("response body %q, want %q", rec.Body.String(), respBody)
	}
	recs := sink.Lines(t)
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	r := recs[0]
	for _, k := range []string{"level", "msg", "method", "path", "route", "status", "bytes", "duration", "remote_addr", "user_agent"} {
		delete(r, k)
	}
	return r, m.Stats()
}

func TestBodyLogging(t *testing.T) {
	both := BodyOptions{Request: true, Response: true, MaxBytes: 16}
	for _, tc := range []struct {
		name            string
		opts            BodyOptions
		reqCT, reqBody  string
		readAll         bool
		respCT, resp    string
		want            map[string]any
		captured        [2]uint64 // request, response bytes
		truncated, skip uint64
	}{
		{
			name: "off by default", opts: BodyOptions{},
			reqCT: "application/json", reqBody: `{"a":1}`, readAll: true, respCT: "text/plain", resp: "ok",
			want: map[string]any{},
		},
		{
			name: "JSON kept as JSON", opts: both,
			reqCT: "application/json", reqBody: `{"a": [1, 2]}`, readAll: true, respCT: "application/problem+json", resp: `{"ok":true}`,
			want:     map[string]any{keyRequestBody: map[string]any{"a": []any{1.0, 2.0}}, keyResponseBody: map[string]any{"ok": true}},
			captured: [2]uint64{13, 11},
		},
		{
			name: "invalid JSON logged as a string", opts: both,
			reqCT: "application/json", reqBody: `{"a":`, readAll: true, respCT: "application/json", resp: `nope`,
			want:     map[string]any{keyRequestBody: `{"a":`, keyResponseBody: "nope"},
			captured: [2]uint64{5, 4},
		},
		{
			// The partial word at the cut goes (what is left of a cut
			// secret would not be recognised as one).
			name: "cut at MaxBytes: a truncated string", opts: both,
			reqCT: "application/json", reqBody: `{"long":"aaaaaaaaaaaaaaaaaaaa"}`, readAll: true, respCT: "text/plain", resp: strings.Repeat("r", 8) + " " + strings.Repeat("r", 31),
			want: map[string]any{
				keyRequestBody: `{"long":"`, keyRequestBodyTruncated: true,
				keyResponseBody: strings.Repeat("r", 8) + " ", keyResponseBodyTruncated: true,
			},
			captured: [2]uint64{16, 16}, truncated: 2,
		},
		{
			name: "request body not read to its end is truncated", opts: both,
			reqCT: "application/json", reqBody: `{"a":1}`, readAll: false, respCT: "text/plain", resp: "ok",
			want:     map[string]any{keyRequestBody: `{"`, keyRequestBodyTruncated: true, keyResponseBody: "ok"},
			captured: [2]uint64{3, 2}, truncated: 1,
		},
		{
			name: "binary content types skipped", opts: both,
			reqCT: "application/octet-stream", reqBody: "\x00\x01binary", readAll: true, respCT: "image/png", resp: "\x89PNG\r\n\x1a\n",
			want: map[string]any{}, skip: 2,
		},
		{
			name: "no content type: sniffed", opts: both,
			reqCT: "", reqBody: "plain words", readAll: true, respCT: "", resp: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
			want:     map[string]any{keyRequestBody: "plain words"},
			captured: [2]uint64{11, 0}, skip: 1,
		},
		{
			name: "only responses", opts: BodyOptions{Response: true},
			reqCT: "text/plain", reqBody: "req", readAll: true, respCT: "text/plain", resp: "resp",
			want:     map[string]any{keyResponseBody: "resp"},
			captured: [2]uint64{0, 4},
		},
		{
			name: "redaction hook", opts: BodyOptions{Request: true, Redact: func(ct string, b []byte) []byte {
				return bytes.ReplaceAll(b, []byte("hunter2"), []byte("[REDACTED]"))
			}},
			reqCT: "application/json", reqBody: `{"password":"hunter2"}`, readAll: true, respCT: "text/plain", resp: "ok",
			want:     map[string]any{keyRequestBody: map[string]any{"password": "[REDACTED]"}},
			captured: [2]uint64{22, 0},
		},
		{
			name: "negative MaxBytes captures nothing", opts: BodyOptions{Request: true, MaxBytes: -1},
			reqCT: "text/plain", reqBody: "abc", readAll: true, respCT: "text/plain", resp: "ok",
			want: map[string]any{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st := bodyCase(t, tc.opts, tc.reqCT, tc.reqBody, tc.readAll, tc.respCT, tc.resp)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("body attributes (-want +got):\n%s", diff)
			}
			if st.RequestBodyBytes != tc.captured[0] || st.ResponseBodyBytes != tc.captured[1] || st.BodiesTruncated != tc.truncated || st.BodiesSkipped != tc.skip {
				t.Errorf("stats: captured %d/%d truncated %d skipped %d, want %v truncated %d skipped %d",
					st.RequestBodyBytes, st.ResponseBodyBytes, st.BodiesTruncated, st.BodiesSkipped, tc.captured, tc.truncated, tc.skip)
			}
		})
	}
}

// TestBinaryNeverCopied checks the capture itself: for a binary content
// type (declared, sniffed, or compressed) not one byte lands in its buffer.
func TestBinaryNeverCopied(t *testing.T) {
	opts := &BodyOptions{Request: true}
	for _, tc := range []struct{ ct, ce, data string }{
		{"image/jpeg", "", "\xff\xd8\xff\xe0 some text-looking bytes"},
		{"", "", "\x89PNG\r\n\x1a\n\x00\x00"},
		{"application/json", "gzip", `{"a":1}`},
	} {
		c := newBodyCapture(opts, tc.ct, tc.ce)
		c.observe([]byte(tc.data), http.Header{})
		if c.buf != nil || !c.binary || c.total != int64(len(tc.data)) {
			t.Errorf("%q/%q: buf %q binary %v total %d", tc.ct, tc.ce, c.buf, c.binary, c.total)
		}
	}
}

// endlessReader yields n bytes of JSON-looking text without holding them.
type endlessReader struct{ left int64 }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.left)
	for i := range p[:n] {
		p[i] = 'a' + byte(i%26)
	}
	r.left -= n
	return int(n), nil
}

// TestLargeBodyBoundedMemory streams a 100 MB request body through the
// middleware with body logging on: the handler sees every byte, the log
// holds MaxBytes of it, and the bytes allocated stay far below the body's
// size.
func TestLargeBodyBoundedMemory(t *testing.T) {
	const size = 100 << 20
	const max = 1024
	const bound = 4 << 20
	var sink *logtest.Buffer
	// serve streams the body through a fresh middleware and returns the
	// bytes allocated meanwhile, its log in sink.
	serve := func() int64 {
		sink = new(logtest.Buffer)
		m := newMiddleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Body: BodyOptions{Request: true, Response: true, MaxBytes: max}}))
		var read int64
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(w, r.Body) // echo: the response streams too
			if err != nil {
				t.Error(err)
			}
			read = n
		}))
		req := httptest.NewRequest("POST", "/upload", &endlessReader{left: size})
		req.Header.Set("Content-Type", "text/plain")
		w := &countingWriter{header: http.Header{}}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		h.ServeHTTP(w, req)
		runtime.ReadMemStats(&after)
		if read != size || w.n != size {
			t.Fatalf("handler read %d and wrote %d bytes, want %d", read, w.n, size)
		}
		return int64(after.TotalAlloc - before.TotalAlloc)
	}
	// The lowest of up to three measures: TotalAlloc counts what every
	// goroutine allocates, and one of another test may run meanwhile.
	alloc, _ := logtest.Measure(3, serve, func(lowest, _ int64) bool { return lowest <= bound })
	if alloc > bound {
		t.Errorf("allocated %d bytes for a %d-byte body, want under 4 MiB", alloc, size)
	}
	recs := sink.Lines(t)
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	reqBody, _ := recs[0][keyRequestBody].(string)
	respBody, _ := recs[0][keyResponseBody].(string)
	if len(reqBody) != max || len(respBody) != max || recs[0][keyRequestBodyTruncated] != true || recs[0][keyResponseBodyTruncated] != true {
		t.Errorf("logged %d and %d body bytes, want %d each, truncated", len(reqBody), len(respBody), max)
	}
	line := textLines(sink)[0]
	if len(line) > 2*max+1024 {
		t.Errorf("access record is %d bytes", len(line))
	}
	var rec map[string]any
	_ = json.Unmarshal([]byte(line), &rec)
	if rec["bytes"] != float64(size) {
		t.Errorf("bytes = %v, want %d", rec["bytes"], size)
	}
}

// countingWriter is a ResponseWriter that keeps nothing but a count.
type countingWriter struct {
	header http.Header
	n      int64
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(int)     {}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// FuzzBodyCapture feeds arbitrary content types, encodings, bodies, chunk
// sizes and limits through a capture: it never panics, never keeps more
// than the limit, never copies a byte of a body it classed as binary, and
// logs JSON only when it is whole and valid.
func FuzzBodyCapture(f *testing.F) {
	f.Add("application/json", "", []byte(`{"a":1}`), 3, 16, true)
	f.Add("", "", []byte("\x89PNG\r\n\x1a\n"), 1, 8, true)
	f.Add("text/plain; charset=utf-8", "identity", []byte("hello world"), 4, 5, false)
	f.Add("application/vnd.x+json", "gzip", []byte(`[]`), 1, 100, true)
	f.Fuzz(func(t *testing.T, ct, ce string, body []byte, chunk, max int, complete bool) {
		opts := &BodyOptions{Request: true, MaxBytes: max % 4096}
		if opts.maxBytes() <= 0 {
			return
		}
		c := newBodyCapture(opts, ct, ce)
		chunk = 1 + abs(chunk)%64
		for i := 0; i < len(body); i += chunk {
			c.observe(body[i:min(i+chunk, len(body))], http.Header{"Content-Type": {ct}})
		}
		if complete {
			c.markComplete()
		}
		if len(c.buf) > opts.maxBytes() {
			t.Fatalf("kept %d bytes, limit %d", len(c.buf), opts.maxBytes())
		}
		if c.binary && c.buf != nil {
			t.Fatalf("binary body copied: %q", c.buf)
		}
		if c.total != int64(len(body)) {
			t.Fatalf("total %d, want %d", c.total, len(body))
		}
		as, res := c.appendAttrs(nil, keyRequestBody, keyRequestBodyTruncated)
		for _, a := range as {
			if raw, ok := a.Value.Any().(json.RawMessage); ok {
				if !json.Valid(raw) || res.truncated {
					t.Fatalf("logged %q as JSON (truncated %v)", raw, res.truncated)
				}
			}
		}
		if res.captured > opts.maxBytes() {
			t.Fatalf("captured %d > limit", res.captured)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestBodyMaxBytesZeroCapturesNothing: MaxBytes is the limit as given: zero
// (and a negative value, taken as zero) captures nothing even with Request
// and Response on; DefaultOptions' 4096 captures.
func TestBodyMaxBytesZeroCapturesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxBytes int
		want     map[string]any
		captured [2]uint64
	}{
		{name: "zero", maxBytes: 0, want: map[string]any{}},
		{name: "negative", maxBytes: -5, want: map[string]any{}},
		{name: "one", maxBytes: 1, want: map[string]any{keyRequestBody: "", keyRequestBodyTruncated: true, keyResponseBody: "", keyResponseBodyTruncated: true}, captured: [2]uint64{1, 1}},
		{name: "default", maxBytes: DefaultOptions().Body.MaxBytes, want: map[string]any{keyRequestBody: "abc", keyResponseBody: "ok"}, captured: [2]uint64{3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			m := newMiddleware(Options{
				Logger:    slog.New(sink.JSONHandler(slog.LevelDebug)),
				AccessLog: true,
				Body:      BodyOptions{Request: true, Response: true, MaxBytes: tc.maxBytes},
			})
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, "ok")
			}))
			req := httptest.NewRequest("POST", "/", strings.NewReader("abc"))
			req.Header.Set("Content-Type", "text/plain")
			h.ServeHTTP(httptest.NewRecorder(), req)
			recs := sink.Lines(t)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			got := map[string]any{}
			for _, k := range []string{keyRequestBody, keyRequestBodyTruncated, keyResponseBody, keyResponseBodyTruncated} {
				if v, ok := recs[0][k]; ok {
					got[k] = v
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("body attributes (-want +got):\n%s", diff)
			}
			st := m.Stats()
			if c := [2]uint64{st.RequestBodyBytes, st.ResponseBodyBytes}; c != tc.captured {
				t.Errorf("captured bytes %v, want %v", c, tc.captured)
			}
		})
	}
}
