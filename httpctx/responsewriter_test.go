package httpctx

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestFlushStreams checks that a flush reaches the client while the
// handler is still running: the handler waits for the client to read the
// first chunk before it writes the second.
func TestFlushStreams(t *testing.T) {
	leakcheck.Check(t)
	for _, name := range []string{"Flusher", "ResponseController"} {
		t.Run(name, func(t *testing.T) {
			var sink logtest.Buffer
			got := make(chan struct{})
			srv := httptest.NewServer(Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "first\n")
				if name == "Flusher" {
					w.(http.Flusher).Flush()
				} else if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				select {
				case <-got:
				case <-time.After(10 * time.Second):
					t.Error("the client never saw the flushed chunk")
				}
				_, _ = io.WriteString(w, "second\n")
			})))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("X-Correlation-ID") == "" || resp.Header.Get("X-Log-Sampled") == "" {
				t.Errorf("headers missing: %v", resp.Header)
			}
			br := bufio.NewReader(resp.Body)
			line, err := br.ReadString('\n')
			if err != nil || line != "first\n" {
				t.Fatalf("first chunk %q, %v", line, err)
			}
			close(got)
			rest, _ := io.ReadAll(br)
			if string(rest) != "second\n" {
				t.Errorf("second chunk %q", rest)
			}
			srv.Client().CloseIdleConnections()
		})
	}
}

func TestResponseControllerDeadlines(t *testing.T) {
	leakcheck.Check(t)
	srv := httptest.NewServer(Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through Unwrap: %v", err)
		}
		if err := rc.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetReadDeadline through Unwrap: %v", err)
		}
		if err := rc.EnableFullDuplex(); err != nil {
			t.Errorf("EnableFullDuplex through Unwrap: %v", err)
		}
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Client().CloseIdleConnections()
}

// TestHijack upgrades a real connection and talks over it.
func TestHijack(t *testing.T) {
	leakcheck.Check(t)
	var sink logtest.Buffer
	// served is closed when the middleware has returned, that is, after
	// it wrote the access record.
	served := make(chan struct{})
	mw := Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, err := brw.ReadString('\n')
		if err != nil {
			t.Errorf("read over hijacked connection: %v", err)
			return
		}
		_, _ = brw.WriteString("echo: " + line)
		_ = brw.Flush()
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(served)
		mw.ServeHTTP(w, r)
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade response %v, %v", resp, err)
	}
	_, _ = io.WriteString(conn, "hello\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "echo: hello\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	<-served
	recs := sink.Lines(t)
	if len(recs) != 1 || recs[0]["hijacked"] != true {
		t.Errorf("records %v, want one access record with hijacked=true", recs)
	}
}

func TestHijackNotSupported(t *testing.T) {
	h := Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Hijacker); ok {
			t.Error("a wrapped recorder claims http.Hijacker")
		}
		if _, _, err := http.NewResponseController(w).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("ResponseController.Hijack on a recorder: %v, want http.ErrNotSupported", err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

// readerFromWriter records whether its ReadFrom was used.
type readerFromWriter struct {
	*httptest.ResponseRecorder
	readFromBytes int64
}

func (w *readerFromWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(w.ResponseRecorder, r)
	w.readFromBytes += n
	return n, err
}

func TestReadFrom(t *testing.T) {
	content := strings.Repeat("abcdefghi ", 1000) // 10,000 bytes; a cut at 100 falls after a word
	path := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Everything goes through the wrapped ReadFrom, header written or not,
	// capture or not.
	for _, tc := range []struct {
		name         string
		capture      bool
		headerFirst  bool
		wantReadFrom int64 // bytes that went through the wrapped ReadFrom
	}{
		{"no capture, header written: all through ReadFrom", false, true, 10000},
		{"capture, header written", true, true, 10000},
		{"no capture, no header yet: all through ReadFrom", false, false, 10000},
		{"capture, no header yet", true, false, 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			h := Middleware(withDefaults(Options{
				Logger: slog.New(sink.JSONHandler(slog.LevelDebug)),
				Body:   BodyOptions{Response: tc.capture, MaxBytes: 100},
			}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f, err := os.Open(path)
				if err != nil {
					t.Error(err)
					return
				}
				defer f.Close()
				w.Header().Set("Content-Type", "text/plain")
				if tc.headerFirst {
					w.WriteHeader(http.StatusOK)
				}
				if _, ok := w.(io.ReaderFrom); !ok {
					t.Error("the wrapped writer is not an io.ReaderFrom")
				}
				n, err := io.Copy(w, f)
				if n != 10000 || err != nil {
					t.Errorf("io.Copy = %d, %v", n, err)
				}
			}))
			w := &readerFromWriter{ResponseRecorder: httptest.NewRecorder()}
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if w.Body.String() != content {
				t.Errorf("body differs: %d bytes", w.Body.Len())
			}
			if w.readFromBytes != tc.wantReadFrom {
				t.Errorf("wrapped ReadFrom copied %d bytes, want %d", w.readFromBytes, tc.wantReadFrom)
			}
			recs := sink.Lines(t)
			if len(recs) != 1 || recs[0]["bytes"] != float64(10000) {
				t.Fatalf("records %v", recs)
			}
			if tc.capture {
				if recs[0][keyResponseBody] != content[:100] || recs[0][keyResponseBodyTruncated] != true {
					t.Errorf("captured %v (truncated %v)", recs[0][keyResponseBody], recs[0][keyResponseBodyTruncated])
				}
			} else if _, ok := recs[0][keyResponseBody]; ok {
				t.Error("body captured with capture off")
			}
		})
	}
}

// TestReadFromRealServer copies a file to a real connection (net/http may
// use sendfile) through the wrapper.
func TestReadFromRealServer(t *testing.T) {
	leakcheck.Check(t)
	content := strings.Repeat("abcdefghi ", 100000)
	path := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var sink logtest.Buffer
	srv := httptest.NewServer(Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug)), Body: BodyOptions{Response: true, MaxBytes: 10}}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(w, f)
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.Client().CloseIdleConnections()
	if string(body) != content || resp.Header.Get("X-Log-Sampled") == "" {
		t.Fatalf("got %d bytes, headers %v", len(body), resp.Header)
	}
	recs := sink.Lines(t)
	if len(recs) != 1 || recs[0]["bytes"] != float64(len(content)) || recs[0][keyResponseBody] != "abcdefghi " {
		t.Errorf("records %v", recs)
	}
}

func TestWriteString(t *testing.T) {
	var sink logtest.Buffer
	h := Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Body.String() != "hello" || rec.Header().Get("X-Log-Sampled") == "" {
		t.Errorf("body %q headers %v", rec.Body.String(), rec.Header())
	}
	if recs := sink.Lines(t); len(recs) != 1 || recs[0]["bytes"] != float64(5) {
		t.Errorf("records %v", recs)
	}
}

// TestInformationalHeader sends 103 Early Hints before the final header
// over a real server.
func TestInformationalHeader(t *testing.T) {
	leakcheck.Check(t)
	var sink logtest.Buffer
	srv := httptest.NewServer(Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusAccepted)
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Client().CloseIdleConnections()
	if resp.StatusCode != 202 || resp.Header.Get("X-Correlation-ID") == "" {
		t.Errorf("response %d %v", resp.StatusCode, resp.Header)
	}
	if recs := sink.Lines(t); len(recs) != 1 || recs[0]["status"] != float64(202) {
		t.Errorf("records %v", recs)
	}
}

func TestPushNotSupported(t *testing.T) {
	h := Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Pusher); ok {
			t.Error("a wrapped recorder claims http.Pusher")
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
