package httpctx

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// fullWriter has every optional interface of a ResponseWriter.
type fullWriter struct{ *httptest.ResponseRecorder }

func (fullWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errors.New("test") }
func (fullWriter) Push(string, *http.PushOptions) error         { return nil }
func (w fullWriter) FlushError() error                          { w.Flush(); return nil }
func (w fullWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(w.ResponseRecorder, r)
}

// interfacesOf lists, by independent type assertions, the optional
// interfaces w has.
func interfacesOf(w http.ResponseWriter) map[string]bool {
	_, f := w.(http.Flusher)
	_, fe := w.(interface{ FlushError() error })
	_, h := w.(http.Hijacker)
	_, p := w.(http.Pusher)
	_, r := w.(io.ReaderFrom)
	_, s := w.(io.StringWriter)
	return map[string]bool{"Flusher": f, "FlushError": fe, "Hijacker": h, "Pusher": p, "ReaderFrom": r, "StringWriter": s}
}

// TestOptionalInterfacesMatch: for every combination of optional
// interfaces of the underlying writer, the handler's writer has exactly
// the same ones, and http.ResponseController reaches the underlying writer.
func TestOptionalInterfacesMatch(t *testing.T) {
	scope := reqscope.New("x", noSpan, reqscope.Decision{Sampled: true})
	for mask := range 64 {
		// An underlying writer with the interfaces of mask (the generated
		// types, over a writer that has them all).
		newUnderlying := func() http.ResponseWriter {
			return (&responseWriter{w: fullWriter{httptest.NewRecorder()}, scope: scope}).withMask(mask)
		}
		underlying := newUnderlying()
		want := interfacesOf(underlying)
		wantFlushErr := http.NewResponseController(newUnderlying()).Flush()
		if want["Flusher"] != (mask&1 != 0) || want["ReaderFrom"] != (mask&8 != 0) {
			t.Fatalf("mask %d: underlying has %v", mask, want)
		}
		var got map[string]bool
		var flushErr error
		h := Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = interfacesOf(w)
			flushErr = http.NewResponseController(w).Flush()
		}))
		h.ServeHTTP(underlying, httptest.NewRequest("GET", "/", nil))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mask %06b: interfaces (-underlying +wrapped):\n%s", mask, diff)
		}
		if (flushErr == nil) != (wantFlushErr == nil) {
			t.Errorf("mask %06b: ResponseController.Flush = %v, without the middleware %v", mask, flushErr, wantFlushErr)
		}
	}
	for _, w := range []http.ResponseWriter{httptest.NewRecorder(), &readerFromWriter{ResponseRecorder: httptest.NewRecorder()}} {
		var got map[string]bool
		Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = interfacesOf(w)
		})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if diff := cmp.Diff(interfacesOf(w), got); diff != "" {
			t.Errorf("%T: interfaces (-underlying +wrapped):\n%s", w, diff)
		}
	}
}

// TestFlushNotSupportedWritesNoHeader: on a writer that cannot flush,
// ResponseController.Flush reports http.ErrNotSupported and, as without
// the middleware, sends no header: the handler can still set the status.
func TestFlushNotSupportedWritesNoHeader(t *testing.T) {
	rec := httptest.NewRecorder()
	underlying := struct{ http.ResponseWriter }{rec} // hides Flush
	Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{})}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Flush = %v, want http.ErrNotSupported", err)
		}
		w.WriteHeader(http.StatusTeapot)
	})).ServeHTTP(underlying, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("status %d, want %d", rec.Code, http.StatusTeapot)
	}
}

// TestReadFromEmptySourceWritesNoHeader: io.Copy from a source that fails
// or ends before its first byte sends no header, as net/http's own
// ReadFrom does, so the handler can still answer with an error status.
func TestReadFromEmptySourceWritesNoHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  io.Reader // not an io.WriterTo: io.Copy calls ReadFrom
		want int
	}{
		{"empty source", struct{ io.Reader }{strings.NewReader("")}, http.StatusNoContent},
		{"failing source", iotestErrReader{}, http.StatusBadGateway},
	} {
		for _, capture := range []bool{false, true} {
			w := &readerFromWriter{ResponseRecorder: httptest.NewRecorder()}
			Middleware(withDefaults(Options{Logger: slog.New(logtest.Nop{}), Body: BodyOptions{Response: capture}}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(w, tc.src); err != nil {
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if w.Code != tc.want {
				t.Errorf("%s, capture %v: status %d, want %d", tc.name, capture, w.Code, tc.want)
			}
		}
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("upstream failed") }

// TestWritersGenerated: writers_gen.go is what gen_writers.go writes.
func TestWritersGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "generated")
	if msg, err := exec.Command("go", "run", "gen_writers.go", out).CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("writers_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("writers_gen.go is out of date: run go generate ./httpctx")
	}
}
