package httpctx_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// withStats builds the middleware and returns it with the function that
// reads its counters, through StatsOf on a handler it wrapped, as the stack
// builder does.
func withStats(t *testing.T, opts httpctx.Options) (func(http.Handler) http.Handler, func() httpctx.Stats) {
	t.Helper()
	mw := httpctx.Middleware(opts)
	probe := mw(http.NotFoundHandler())
	return mw, func() httpctx.Stats {
		st, ok := httpctx.StatsOf(probe)
		if !ok {
			t.Fatal("StatsOf does not recognise a handler the middleware returned")
		}
		return st
	}
}

// noDuration is a JSON handler into b without time and duration, whose
// values differ from run to run.
func noDuration(b *logtest.Buffer) slog.Handler {
	return slog.NewJSONHandler(b, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "duration") {
			return slog.Attr{}
		}
		return a
	}})
}

// TestStatsOf: StatsOf reads the counters shared by the handlers one
// Middleware call wrapped, which see every request it served and only
// those; the middleware serves exactly as a second one with the same
// options; any other handler has no counters.
func TestStatsOf(t *testing.T) {
	var viaHook, viaMiddleware logtest.Buffer
	opts := httpctx.DefaultOptions()
	opts.Policy = sampling.Policy{AlwaysSamplePaths: []string{"/a"}}
	opts.Logger = slog.New(noDuration(&viaHook))
	mw, stats := withStats(t, opts)
	_, otherStats := withStats(t, opts)
	opts.Logger = slog.New(noDuration(&viaMiddleware))
	plain := httpctx.Middleware(opts)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	var headers [2][]string
	for i, h := range []http.Handler{mw(ok), plain(ok)} {
		for _, path := range []string{"/a", "/b", "/a/1"} {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("X-Correlation-ID", "id"+strings.ReplaceAll(path, "/", "-"))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			headers[i] = append(headers[i], rec.Header().Get("X-Correlation-ID")+" "+rec.Header().Get("X-Log-Sampled"))
		}
	}
	if diff := cmp.Diff(headers[1], headers[0]); diff != "" {
		t.Errorf("headers via the hook differ from Middleware's (-Middleware +hook):\n%s", diff)
	}
	if n := len(viaHook.Lines(t)); n != 3 {
		t.Errorf("the middleware built by the hook wrote %d access records, want 3", n)
	}
	if diff := cmp.Diff(viaMiddleware.String(), viaHook.String()); diff != "" {
		t.Errorf("records via the hook differ from Middleware's (-Middleware +hook):\n%s", diff)
	}
	want := httpctx.Stats{
		Requests: 3, Sampled: 2, NotSampled: 1,
		Reasons: sampling.ReasonCounts{Path: 2, Rate: 1},
		IDs:     httpctx.IDCounts{FromCorrelationHeader: 3},
	}
	if diff := cmp.Diff(want, stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(httpctx.Stats{}, otherStats()); diff != "" {
		t.Errorf("a second middleware's Stats counted the first one's requests (-want +got):\n%s", diff)
	}
	for _, h := range []http.Handler{ok, http.NotFoundHandler(), http.StripPrefix("/", mw(ok))} {
		if st, found := httpctx.StatsOf(h); found || st != (httpctx.Stats{}) {
			t.Errorf("StatsOf(%T) = %+v, %v; want the zero Stats, false", h, st, found)
		}
	}
}
