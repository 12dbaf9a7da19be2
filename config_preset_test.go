package slogstack

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// TestDevelopmentConfigChangesOnlyItsFields checks that DevelopmentConfig
// is DefaultConfig with exactly the fields its documentation lists
// changed.
func TestDevelopmentConfigChangesOnlyItsFields(t *testing.T) {
	want := DefaultConfig()
	want.Format = FormatText
	want.Level = slog.LevelDebug
	want.SamplingPolicy.Rate = 1
	want.SamplingPolicy.ExcludedPaths = nil
	want.Stacktrace, want.StacktraceLevel = true, slog.LevelError
	if diff := cmp.Diff(want, DevelopmentConfig(), cmpConfig...); diff != "" {
		t.Errorf("DevelopmentConfig (-want +got):\n%s", diff)
	}
	if err := DevelopmentConfig().Validate(); err != nil {
		t.Errorf("DevelopmentConfig does not validate: %v", err)
	}
	// The production defaults are untouched by it.
	d := DefaultConfig()
	if d.Format != FormatJSON || d.Level != slog.LevelInfo || d.SamplingPolicy.Rate != 0.1 || d.Stacktrace {
		t.Errorf("DefaultConfig changed: format %v, level %v, rate %v, stacktrace %v", d.Format, d.Level, d.SamplingPolicy.Rate, d.Stacktrace)
	}
}

// TestPresetFromEnv checks LOG_PRESET: development over DefaultConfig is
// DevelopmentConfig, the other variables win over the preset, production
// leaves the base as it is.
func TestPresetFromEnv(t *testing.T) {
	custom := DefaultConfig()
	custom.SamplingPolicy = sampling.Policy{Rate: 0.3, ExcludedPaths: []string{"/ping"}}
	for _, tc := range []struct {
		name string
		base Config
		env  env
		want func() Config
	}{
		{"development", DefaultConfig(), env{"LOG_PRESET": "development"}, DevelopmentConfig},
		{"Development, any case", DefaultConfig(), env{"LOG_PRESET": " Development "}, DevelopmentConfig},
		{"development, a level set too", DefaultConfig(), env{"LOG_PRESET": "development", "LOG_LEVEL": "info"}, func() Config {
			c := DevelopmentConfig()
			c.Level = slog.LevelInfo
			return c
		}},
		{"development, JSON and paths set too", DefaultConfig(),
			env{"LOG_PRESET": "development", "LOG_FORMAT": "json", "LOG_EXCLUDED_PATHS": "/health", "LOG_STACKTRACE": "off"}, func() Config {
				c := DevelopmentConfig()
				c.Format, c.SamplingPolicy.ExcludedPaths, c.Stacktrace = FormatJSON, []string{"/health"}, false
				return c
			}},
		{"development over a custom base", custom, env{"LOG_PRESET": "development"}, func() Config {
			c := custom
			applyDevelopment(&c)
			return c
		}},
		{"production", DefaultConfig(), env{"LOG_PRESET": "production"}, DefaultConfig},
		{"production over a custom base", custom, env{"LOG_PRESET": "PRODUCTION"}, func() Config { return custom }},
		{"production over the zero Config", Config{}, env{"LOG_PRESET": "production"}, func() Config { return Config{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.env.config(tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want(), got, cmpConfig...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDevelopmentStackShowsEverything checks what a developer sees: text
// lines, debug records, every request's records and access record, health
// checks included, and a stack trace on an error.
func TestDevelopmentStackShowsEverything(t *testing.T) {
	leakcheck.Check(t)
	cfg := DevelopmentConfig()
	cfg.ReplaceAttr = dropTimeAndTrace
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/orders", "/health"} {
		serve(t, s, path, "req"+path[1:], func(w http.ResponseWriter, r *http.Request) {
			s.Logger().DebugContext(r.Context(), "looking up", "path", r.URL.Path)
		})
	}
	s.Logger().Error("failed", "err", "boom")
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `level=DEBUG msg="looking up" _sampled=true _sample_rate=1 _sample_reason=rate path=/orders correlation_id=reqorders
level=INFO msg="request completed" _sampled=true _sample_rate=1 _sample_reason=rate method=GET path=/orders route="" status=200 bytes=0 remote_addr=192.0.2.1:1234 user_agent="" correlation_id=reqorders
level=DEBUG msg="looking up" _sampled=true _sample_rate=1 _sample_reason=rate path=/health correlation_id=reqhealth
level=INFO msg="request completed" _sampled=true _sample_rate=1 _sample_reason=rate method=GET path=/health route="" status=200 bytes=0 remote_addr=192.0.2.1:1234 user_agent="" correlation_id=reqhealth
level=ERROR msg=failed err=boom stacktrace=…
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("development output (-want +got):\n%s", diff)
	}
}

// dropTimeAndTrace removes the time and the access record's duration,
// and shortens a stack trace to "…", for exact comparisons.
func dropTimeAndTrace(groups []string, a slog.Attr) slog.Attr {
	switch {
	case len(groups) > 0:
		return a
	case a.Key == slog.TimeKey || a.Key == "duration":
		return slog.Attr{}
	case a.Key == stacktraceKey:
		return slog.String(a.Key, "…")
	}
	return a
}
