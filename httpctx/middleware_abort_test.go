package httpctx

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// TestAbortedRequest: a handler that aborts with http.ErrAbortHandler gets
// no panic record and no keep; its access record says aborted=true with the
// status written before the abort (0 if none), at WARN (ERROR only after a
// 5xx), and follows the request's decision through the sampling handler; the
// value is re-raised as is.
func TestAbortedRequest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string // /always is sampled, anything else not
		handler func(w http.ResponseWriter)
		want    []map[string]any
	}{
		{
			name:    "not sampled, before the header: nothing written",
			path:    "/quiet",
			handler: func(w http.ResponseWriter) {},
			want:    nil,
		},
		{
			name:    "not sampled, after a 200: nothing written",
			path:    "/quiet",
			handler: func(w http.ResponseWriter) { _, _ = io.WriteString(w, "partial") },
			want:    nil,
		},
		{
			name:    "sampled, before the header",
			path:    "/always",
			handler: func(w http.ResponseWriter) {},
			want: []map[string]any{
				{"msg": "work", "level": "INFO"},
				{"msg": defaultAccessMessage, "level": "WARN", "status": float64(0), "aborted": true, "bytes": float64(0)},
			},
		},
		{
			name:    "sampled, after a 200",
			path:    "/always",
			handler: func(w http.ResponseWriter) { _, _ = io.WriteString(w, "partial") },
			want: []map[string]any{
				{"msg": "work", "level": "INFO"},
				{"msg": defaultAccessMessage, "level": "WARN", "status": float64(200), "aborted": true, "bytes": float64(7)},
			},
		},
		{
			name:    "not sampled, after a 503: kept by the 5xx",
			path:    "/quiet",
			handler: func(w http.ResponseWriter) { w.WriteHeader(503) },
			want: []map[string]any{
				{"msg": "work", "level": "INFO"},
				{"msg": defaultAccessMessage, "level": "ERROR", "status": float64(503), "aborted": true, "bytes": float64(0)},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			logger := slog.New(sampling.NewHandler(scope.NewHandler(sink.JSONHandler(slog.LevelDebug), scope.HandlerOptions{}), sampling.DefaultOptions()))
			m := newMiddleware(withDefaults(Options{Logger: logger, Policy: testPolicy, Recover: true}))
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				scope.Logger(r.Context()).Info("work")
				tc.handler(w)
				panic(http.ErrAbortHandler)
			}))
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
			}()
			if recovered != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler re-raised as is", recovered)
			}
			var got []map[string]any
			for _, rec := range sink.Lines(t) {
				keep := map[string]any{}
				for _, k := range []string{"msg", "level", "status", "aborted", "bytes"} {
					if v, ok := rec[k]; ok {
						keep[k] = v
					}
				}
				got = append(got, keep)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if s := m.Stats(); s.Panics != 0 || s.Aborted != 1 {
				t.Errorf("Panics %d, Aborted %d; want 0 and 1", s.Panics, s.Aborted)
			}
		})
	}
}

// TestAbortedRequestRealServer: over a real connection the abort reaches
// net/http unchanged: the connection is cut and net/http logs nothing.
func TestAbortedRequestRealServer(t *testing.T) {
	leakcheck.Check(t)
	var sink logtest.Buffer
	m := newMiddleware(withDefaults(Options{Logger: slog.New(sink.JSONHandler(slog.LevelDebug))}))
	srv := httptest.NewUnstartedServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})))
	var serverLog bytes.Buffer
	srv.Config.ErrorLog = log.New(&serverLog, "", 0)
	srv.Start()
	resp, err := srv.Client().Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Errorf("got a response (%d), want the connection cut", resp.StatusCode)
	}
	srv.Client().CloseIdleConnections()
	srv.Close()
	if serverLog.Len() != 0 {
		t.Errorf("net/http logged %q; an abort is silent", serverLog.String())
	}
	if recs := sink.Lines(t); len(recs) != 1 || recs[0]["aborted"] != true || recs[0]["level"] != "WARN" {
		t.Errorf("records %v, want one WARN access record with aborted=true", recs)
	}
}

// brokenSink panics on every record.
type brokenSink struct{ logtest.Nop }

func (brokenSink) Handle(context.Context, slog.Record) error { panic("sink broken") }

// TestBrokenSinkDoesNotBreakResponse: a sink that panics on the access or
// panic record changes nothing for the client and does not replace the
// handler's own panic; each such panic is counted.
func TestBrokenSinkDoesNotBreakResponse(t *testing.T) {
	for _, tc := range []struct {
		name          string
		handler       func(w http.ResponseWriter)
		wantRecovered any
		wantLogPanics uint64
	}{
		{"normal request", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") }, nil, 1},
		{"handler panic", func(w http.ResponseWriter) { panic("handler") }, "handler", 2},
		{"abort", func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }, http.ErrAbortHandler, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMiddleware(withDefaults(Options{Logger: slog.New(brokenSink{})}))
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.handler(w) }))
			rec := httptest.NewRecorder()
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			}()
			if recovered != tc.wantRecovered {
				t.Errorf("recovered %v, want %v", recovered, tc.wantRecovered)
			}
			if tc.wantRecovered == nil && (rec.Code != 200 || rec.Body.String() != "ok") {
				t.Errorf("response %d %q, want 200 ok", rec.Code, rec.Body.String())
			}
			if got := m.Stats().LogPanics; got != tc.wantLogPanics {
				t.Errorf("LogPanics = %d, want %d", got, tc.wantLogPanics)
			}
		})
	}
}
