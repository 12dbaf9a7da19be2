package httpctx

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// unwrapOnly is the wrapper style Go recommends since 1.20: no optional
// interface of its own, only Unwrap.
type unwrapOnly struct{ http.ResponseWriter }

func (u unwrapOnly) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// controllerOutcome is what the client and the access record saw.
type controllerOutcome struct {
	Status        int
	Body          string
	CorrelationID bool // the client's X-Correlation-ID is the request's
	RecordStatus  float64
	RecordBytes   float64
	Hijacked      any
	ControllerErr string
}

// controllerWrappers are the writers the middleware may be given: net/http's
// own, and net/http's behind one or two Unwrap-only wrappers, whose
// features http.ResponseController reaches only through Unwrap.
var controllerWrappers = []struct {
	name string
	wrap func(http.ResponseWriter) http.ResponseWriter
}{
	{"direct", func(w http.ResponseWriter) http.ResponseWriter { return w }},
	{"unwrap-only", func(w http.ResponseWriter) http.ResponseWriter { return unwrapOnly{w} }},
	{"unwrap-only twice", func(w http.ResponseWriter) http.ResponseWriter { return unwrapOnly{unwrapOnly{w}} }},
}

// TestResponseControllerThroughUnwrapOnly: whether the wrapped writer has
// its features itself or only behind Unwrap, a ResponseController on the
// handler's writer flushes the header with the correlation headers and the
// status the access record reports, and a hijack is in the access record.
func TestResponseControllerThroughUnwrapOnly(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter) error
		want    controllerOutcome
	}{
		{
			name: "flush after status",
			handler: func(w http.ResponseWriter) error {
				w.WriteHeader(http.StatusAccepted)
				err := http.NewResponseController(w).Flush()
				_, _ = io.WriteString(w, "hello")
				return err
			},
			want: controllerOutcome{Status: 202, Body: "hello", CorrelationID: true, RecordStatus: 202, RecordBytes: 5},
		},
		{
			name: "flush before status",
			handler: func(w http.ResponseWriter) error {
				err := http.NewResponseController(w).Flush() // sends 200
				w.WriteHeader(http.StatusNotFound)           // superfluous
				_, _ = io.WriteString(w, "x")
				return err
			},
			want: controllerOutcome{Status: 200, Body: "x", CorrelationID: true, RecordStatus: 200, RecordBytes: 1},
		},
		{
			name: "hijack",
			handler: func(w http.ResponseWriter) error {
				conn, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return err
				}
				defer conn.Close()
				_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
				return brw.Flush()
			},
			want: controllerOutcome{Status: 200, Body: "hi", RecordStatus: 0, Hijacked: true},
		},
		{
			name: "deadlines and full duplex",
			handler: func(w http.ResponseWriter) error {
				rc := http.NewResponseController(w)
				deadline := time.Now().Add(time.Minute)
				if err := errors.Join(rc.SetReadDeadline(deadline), rc.SetWriteDeadline(deadline), rc.EnableFullDuplex()); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			},
			want: controllerOutcome{Status: 204, CorrelationID: true, RecordStatus: 204},
		},
	} {
		for _, wr := range controllerWrappers {
			t.Run(tc.name+"/"+wr.name, func(t *testing.T) {
				var sink logtest.Buffer
				var got controllerOutcome
				var correlationID string
				mw := Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					correlationID = scopeOf(r.Context()).CorrelationID()
					if err := tc.handler(w); err != nil {
						got.ControllerErr = err.Error()
					}
				}))
				served := make(chan struct{})
				// quiet: "flush before status" makes net/http log its
				// superfluous WriteHeader, as it would without the middleware.
				srv := quietServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					defer close(served)
					mw.ServeHTTP(wr.wrap(w), r)
				}))
				defer srv.Close()
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				srv.Client().CloseIdleConnections()
				<-served // the access record is written before ServeHTTP returns
				got.Status, got.Body = resp.StatusCode, string(body)
				got.CorrelationID = correlationID != "" && resp.Header.Get(headerCorrelationID) == correlationID
				recs := sink.Lines(t)
				if len(recs) != 1 {
					t.Fatalf("records %v, want one access record", recs)
				}
				got.RecordStatus, _ = recs[0]["status"].(float64)
				got.RecordBytes, _ = recs[0]["bytes"].(float64)
				got.Hijacked = recs[0]["hijacked"]
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestResponseControllerNotSupportedThroughUnwrapOnly: behind Unwrap-only
// wrappers, a writer that cannot flush or hijack makes the controller on
// the handler's writer report http.ErrNotSupported, as without the
// middleware, and send no header: the handler can still set the status.
func TestResponseControllerNotSupportedThroughUnwrapOnly(t *testing.T) {
	for _, wr := range controllerWrappers {
		t.Run(wr.name, func(t *testing.T) {
			var sink logtest.Buffer
			rec := httptest.NewRecorder()
			underlying := wr.wrap(struct{ http.ResponseWriter }{rec}) // hides Flush
			var flushErr, hijackErr error
			Middleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rc := http.NewResponseController(w)
				flushErr = rc.Flush()
				_, _, hijackErr = rc.Hijack()
				w.WriteHeader(http.StatusTeapot)
			})).ServeHTTP(underlying, httptest.NewRequest("GET", "/", nil))
			if !errors.Is(flushErr, http.ErrNotSupported) || !errors.Is(hijackErr, http.ErrNotSupported) {
				t.Errorf("Flush = %v, Hijack = %v, want http.ErrNotSupported", flushErr, hijackErr)
			}
			recs := sink.Lines(t)
			got := []any{rec.Code, rec.Header().Get(headerCorrelationID) != ""}
			if len(recs) == 1 {
				got = append(got, recs[0]["status"], recs[0]["hijacked"])
			}
			want := []any{http.StatusTeapot, true, float64(http.StatusTeapot), nil}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status, correlation header, record status, hijacked (-want +got):\n%s", diff)
			}
		})
	}
}
