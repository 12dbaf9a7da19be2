package main

import (
	"context"
	"encoding/json"
	"expvar"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// unsetLogEnv removes every LOG_* variable for the test (restored after it).
func unsetLogEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(name), "LOG_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

// TestLoggingConfig checks the stack the service builds: its own defaults
// over slogstack.DefaultConfig, the LOG_* variables over them, and a
// misspelled variable refused.
func TestLoggingConfig(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		describe string
		rate     float64
		err      string
	}{
		{
			name:     "defaults",
			describe: "level DEBUG, correlation, sampling 10% (always /api/v1/payments), aggregation, redaction, async queue",
			rate:     0.1,
		},
		{
			name:     "environment over the defaults",
			env:      map[string]string{"LOG_LEVEL": "warn", "LOG_SAMPLING_RATE": "0", "LOG_ALWAYS_SAMPLE_PATHS": "", "LOG_REQUEST_BUFFER": "false", "LOG_ASYNC": "false"},
			describe: "level WARN, correlation, sampling 0% without rescue buffers, aggregation, redaction",
			rate:     0,
		},
		{
			name:     "sampling off samples every request",
			env:      map[string]string{"LOG_SAMPLING": "false", "LOG_SAMPLING_RATE": "0.5"},
			describe: "level DEBUG, correlation, aggregation, redaction, async queue",
			rate:     1,
		},
		{
			name: "misspelled variable",
			env:  map[string]string{"LOG_SAMPLNG_RATE": "0.5"},
			err:  "LOG_SAMPLNG_RATE: unknown variable; did you mean LOG_SAMPLING_RATE?",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unsetLogEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			l, err := newLogging(io.Discard)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("newLogging: error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.shutdown(context.Background())
			got := struct {
				Describe string
				Rate     float64
				Recover  bool
			}{l.describe(), l.sampleRate(), l.cfg.HTTP.Recover}
			want := struct {
				Describe string
				Rate     float64
				Recover  bool
			}{tc.describe, tc.rate, true}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("stack (-want +got):\n%s", d)
			}
		})
	}
}

// TestLoggingRecoversPanics checks that the stack's HTTP middleware answers
// a handler's panic with 500, as the service configures it.
func TestLoggingRecoversPanics(t *testing.T) {
	leakcheck.Check(t)
	unsetLogEnv(t)
	l, err := newLogging(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.shutdown(context.Background())
	h := l.stack.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/work", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
}

// TestPublishStats checks that the expvar "slogstack" shows the counters of
// the stack built last, however many the process builds.
func TestPublishStats(t *testing.T) {
	leakcheck.Check(t)
	unsetLogEnv(t)
	t.Setenv("LOG_SAMPLING", "false")
	for _, records := range []int{2, 5} {
		l, err := newLogging(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for range records {
			l.logger.Info("hello")
		}
		var got struct{ Records int }
		if err := json.Unmarshal([]byte(expvar.Get("slogstack").String()), &got); err != nil {
			t.Fatal(err)
		}
		if got.Records != records {
			t.Errorf("expvar slogstack: %d records, want %d", got.Records, records)
		}
		if err := l.shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
