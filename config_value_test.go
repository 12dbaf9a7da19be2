package slogstack

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/redact"
)

// The String of DefaultConfig, of the zero Config and of
// DevelopmentConfig, as a user sees them.
const (
	defaultConfigString = `level=INFO format=json add_source=false stacktrace=off correlation.omit_trace=false ` +
		`sampling.rate=0.1 sampling.always_sample_paths="" sampling.excluded_paths=/health,/healthz,/livez,/readyz sampling.follow_trace=false ` +
		`sampling.request_buffer.records=512 sampling.request_buffer.bytes=512KiB sampling.request_buffer.total_bytes=32MiB sampling.unscoped=pass ` +
		`aggregation.match=set aggregation.burst=5 aggregation.burst_window=1s aggregation.window=10s aggregation.max_count=1000 ` +
		`aggregation.max_groups=1000 aggregation.flush_interval=500ms aggregation.max_value_bytes=1KiB aggregation.max_attr_bytes=6KiB ` +
		`redact.keys=default redact.safe_keys="" redact.value_patterns=all redact.custom_patterns=0 redact.replacement=[REDACTED] redact.key_cache_size=4096 ` +
		`async.capacity=default async.reserved=1024 async.max_bytes=8MiB async.batch_size=512 async.batch_bytes=256KiB async.report_interval=1s async.stall_timeout=1s ` +
		`http.access_log=true http.access_message="request completed" http.body=off http.recover=false`
	zeroConfigString = `level=INFO format=json add_source=false stacktrace=off correlation=off sampling=off aggregation=off redact=off async=off ` +
		`http.access_log=false http.body=off http.recover=false`
	developmentConfigString = `level=DEBUG format=text add_source=false stacktrace=ERROR correlation.omit_trace=false ` +
		`sampling.rate=1 sampling.always_sample_paths="" sampling.excluded_paths="" sampling.follow_trace=false ` +
		`sampling.request_buffer.records=512 sampling.request_buffer.bytes=512KiB sampling.request_buffer.total_bytes=32MiB sampling.unscoped=pass ` +
		`aggregation.match=set aggregation.burst=5 aggregation.burst_window=1s aggregation.window=10s aggregation.max_count=1000 ` +
		`aggregation.max_groups=1000 aggregation.flush_interval=500ms aggregation.max_value_bytes=1KiB aggregation.max_attr_bytes=6KiB ` +
		`redact.keys=default redact.safe_keys="" redact.value_patterns=all redact.custom_patterns=0 redact.replacement=[REDACTED] redact.key_cache_size=4096 ` +
		`async.capacity=default async.reserved=1024 async.max_bytes=8MiB async.batch_size=512 async.batch_bytes=256KiB async.report_interval=1s async.stall_timeout=1s ` +
		`http.access_log=true http.access_message="request completed" http.body=off http.recover=false`
)

func TestConfigString(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"DefaultConfig", DefaultConfig(), defaultConfigString},
		{"zero", Config{}, zeroConfigString},
		{"DevelopmentConfig", DevelopmentConfig(), developmentConfigString},
	} {
		if diff := cmp.Diff(tc.want, tc.cfg.String()); diff != "" {
			t.Errorf("%s: String (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestConfigValueShowsTheEffectiveSettings checks each entry that departs
// from the defaults: resolved levels, defaults of zero fields, what a
// hook or matcher is (never its content), switched-off parts.
func TestConfigValueShowsTheEffectiveSettings(t *testing.T) {
	var warn slog.LevelVar
	warn.Set(slog.LevelWarn)
	var nilVar *slog.LevelVar
	edit := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // each a key=value of the String
	}{
		{"LevelVar", edit(func(c *Config) { c.Level = &warn }), []string{"level=WARN"}},
		{"nil LevelVar", edit(func(c *Config) { c.Level = nilVar }), []string{"level=nil"}},
		{"nil level", edit(func(c *Config) { c.Level = nil }), []string{"level=INFO"}},
		{"bad format", edit(func(c *Config) { c.Format = 7 }), []string{"format=Format(7)"}},
		{"replace attr", edit(func(c *Config) { c.ReplaceAttr = logtest.DropTime }), []string{"add_source=false replace_attr=set stacktrace=off"}},
		{"stack traces from warn", edit(func(c *Config) { c.Stacktrace, c.StacktraceLevel = true, slog.LevelWarn }), []string{"stacktrace=WARN"}},
		{"omit trace", edit(func(c *Config) { c.Scope.OmitTrace = true }), []string{"correlation.omit_trace=true"}},
		{"rate above 1", edit(func(c *Config) { c.SamplingPolicy.Rate = 3 }), []string{"sampling.rate=1 "}},
		{"report handler", edit(func(c *Config) {
			c.AsyncOptions.ReportHandler = func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }
		}), []string{"async.stall_timeout=1s async.report_handler=set "}},
		{"paths", edit(func(c *Config) { c.SamplingPolicy.AlwaysSamplePaths = []string{"/pay", "/admin/"} }),
			[]string{"sampling.always_sample_paths=/pay,/admin/ "}},
		{"no buffer", edit(func(c *Config) { c.SamplingOptions.MaxRequestBytes = 0 }), []string{"sampling.request_buffer=off "}},
		{"unscoped sampled", edit(func(c *Config) { c.SamplingOptions.SampleUnscoped = true }),
			[]string{"sampling.unscoped=sample sampling.unscoped_rate=0.1 aggregation."}},
		{"marker only", edit(func(c *Config) { c.AggregationOptions.Match = nil }), []string{`aggregation.match="marker only"`}},
		{"aggregation zeros are defaults", edit(func(c *Config) { c.AggregationOptions = aggregation.Options{} }),
			[]string{"aggregation.burst=0 aggregation.burst_window=1s aggregation.window=10s aggregation.max_count=1000 aggregation.max_groups=1000 aggregation.flush_interval=500ms aggregation.max_value_bytes=1KiB aggregation.max_attr_bytes=6KiB"}},
		{"flush interval under 1ms", edit(func(c *Config) { c.AggregationOptions.FlushInterval = 1 }), []string{"aggregation.flush_interval=1ms"}},
		{"redact rules", edit(func(c *Config) {
			c.RedactOptions.Keys = []string{"password", "pin"}
			c.RedactOptions.SafeKeys = []string{"token_type"}
			c.RedactOptions.DisablePatterns = []string{"card", "jwt"}
			c.RedactOptions.Replacement = "***"
		}), []string{`redact.keys=password,pin redact.safe_keys=token_type redact.value_patterns="all but card,jwt" redact.custom_patterns=0 redact.replacement=***`}},
		{"async sizes", edit(func(c *Config) { c.AsyncOptions = async.Options{Capacity: 100} }),
			[]string{"async.capacity=100 async.reserved=0 async.max_bytes=8MiB async.batch_size=512 async.batch_bytes=256KiB async.report_interval=0s async.stall_timeout=0s"}},
		{"async capacity above the bound", edit(func(c *Config) { c.AsyncOptions.Capacity = 1 << 30 }), []string{"async.capacity=16777216 "}},
		{"no access log", edit(func(c *Config) { c.HTTP.AccessLog = false }), []string{"http.access_log=false http.body=off"}},
		{"bodies redacted by the stack", edit(func(c *Config) { c.HTTP.Body.Request = true }),
			[]string{"http.body.request=true http.body.response=false http.body.max_bytes=4KiB http.body.is_text=default http.body.redact=stack http.recover=false"}},
		{"bodies with hooks", edit(func(c *Config) {
			c.HTTP.Body.Response, c.HTTP.Recover = true, true
			c.HTTP.Body.IsText = func(string) bool { return true }
			c.HTTP.Body.Redact = func(_ string, b []byte) []byte { return b }
		}), []string{"http.body.request=false http.body.response=true http.body.max_bytes=4KiB http.body.is_text=custom http.body.redact=custom http.recover=true"}},
		{"bodies, no redaction", edit(func(c *Config) { c.HTTP.Body.Request, c.Redact = true, false }), []string{"redact=off", "http.body.redact=off"}},
		{"bodies of no bytes", edit(func(c *Config) { c.HTTP.Body.Request, c.HTTP.Body.MaxBytes = true, 0 }), []string{"http.body=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.String()
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("String does not contain %q:\n%s", want, got)
				}
			}
		})
	}
}

// TestConfigValueShowsNoSecret checks that neither a custom pattern's
// regular expression nor its literal, nor what a hook would do, appears.
func TestConfigValueShowsNoSecret(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RedactOptions.Patterns = []redact.CustomPattern{{Literal: "acme-sk-", Regexp: regexp.MustCompile(`acme-sk-hunter2[a-z]+`)}}
	got := cfg.String()
	for _, secret := range []string{"hunter2", "acme-sk-"} {
		if strings.Contains(got, secret) {
			t.Errorf("String shows %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "redact.custom_patterns=1 ") {
		t.Errorf("String does not count the custom pattern: %s", got)
	}
}

// TestConfigLoggedWhole checks that the configuration logged through a
// DefaultConfig stack is written whole, as LogValue has it: not sampled
// out (a record without a request scope passes), not folded, not masked
// (its keys and values name rules, not secrets); in JSON, and through the
// text format as key=value pairs under "config.".
func TestConfigLoggedWhole(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.ReplaceAttr = logtest.DropTime
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 { // past the aggregation's burst, were it a system record
		s.Logger().Info("logging configured", "config", DefaultConfig())
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `{"level":"INFO","msg":"logging configured","config":{"level":"INFO","format":"json","add_source":false,"stacktrace":"off",` +
		`"correlation":{"omit_trace":false},` +
		`"sampling":{"rate":0.1,"always_sample_paths":"","excluded_paths":"/health,/healthz,/livez,/readyz","follow_trace":false,` +
		`"request_buffer":{"records":512,"bytes":"512KiB","total_bytes":"32MiB"},"unscoped":"pass"},` +
		`"aggregation":{"match":"set","burst":5,"burst_window":"1s","window":"10s","max_count":1000,"max_groups":1000,` +
		`"flush_interval":"500ms","max_value_bytes":"1KiB","max_attr_bytes":"6KiB"},` +
		`"redact":{"keys":"default","safe_keys":"","value_patterns":"all","custom_patterns":0,"replacement":"[REDACTED]","key_cache_size":4096},` +
		`"async":{"capacity":"default","reserved":1024,"max_bytes":"8MiB","batch_size":512,"batch_bytes":"256KiB","report_interval":"1s","stall_timeout":"1s"},` +
		`"http":{"access_log":true,"access_message":"request completed","body":"off","recover":false}}}` + "\n"
	if diff := cmp.Diff(strings.Repeat(want, 10), out.String()); diff != "" {
		t.Errorf("logged configuration (-want +got):\n%s", diff)
	}

	// The text format writes the same pairs as String, under "config.".
	dev := DevelopmentConfig()
	dev.ReplaceAttr = logtest.DropTime
	out.Reset()
	s, err = NewStack(&out, dev)
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("logging configured", "config", DevelopmentConfig())
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantText := `level=INFO msg="logging configured" ` + prefixKeys(t, developmentConfigString, "config.") + "\n"
	if diff := cmp.Diff(wantText, out.String()); diff != "" {
		t.Errorf("logged configuration, text (-want +got):\n%s", diff)
	}
}

// prefixKeys puts prefix before every key of a line of key=value pairs
// (values without spaces, or quoted).
func prefixKeys(t *testing.T, line, prefix string) string {
	t.Helper()
	var b strings.Builder
	inQuotes := false
	atKey := true
	for i := 0; i < len(line); i++ {
		c := line[i]
		if atKey && !inQuotes {
			b.WriteString(prefix)
			atKey = false
		}
		b.WriteByte(c)
		switch {
		case c == '"' && (i == 0 || line[i-1] != '\\'):
			inQuotes = !inQuotes
		case c == ' ' && !inQuotes:
			atKey = true
		}
	}
	return b.String()
}
