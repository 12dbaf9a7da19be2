package slogstack

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// TestConfigFromEnvMinimumSizes checks every size variable with a value
// too small to hold a record (rejected, naming the variable and the
// minimum, leaving the default), the minimum itself and a good value
// (applied), and that every accepted Config builds.
func TestConfigFromEnvMinimumSizes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     env
		wantErr string        // the error, or "" for none
		edit    func(*Config) // applied to DefaultConfig to get the expected Config
	}{
		{"queue bytes 64", env{"LOG_QUEUE_BYTES": "64"},
			`LOG_QUEUE_BYTES: "64" is below the minimum 64KiB: it must hold one block of the queue`, nil},
		{"queue bytes just below", env{"LOG_QUEUE_BYTES": "65535"},
			`LOG_QUEUE_BYTES: "65535" is below the minimum 64KiB: it must hold one block of the queue`, nil},
		{"queue bytes minimum", env{"LOG_QUEUE_BYTES": "64KiB"}, "",
			func(c *Config) { c.AsyncOptions.MaxBytes = 64 << 10 }},
		{"queue bytes good", env{"LOG_QUEUE_BYTES": "16MiB"}, "",
			func(c *Config) { c.AsyncOptions.MaxBytes = 16 << 20 }},
		{"request buffer 64", env{"LOG_REQUEST_BUFFER_BYTES": "64"},
			`LOG_REQUEST_BUFFER_BYTES: "64" is below the minimum 1KiB: it must hold one record`, nil},
		{"request buffer just below", env{"LOG_REQUEST_BUFFER_BYTES": "1023"},
			`LOG_REQUEST_BUFFER_BYTES: "1023" is below the minimum 1KiB: it must hold one record`, nil},
		{"request buffer minimum", env{"LOG_REQUEST_BUFFER_BYTES": "1KiB"}, "",
			func(c *Config) { c.SamplingOptions.MaxRequestBytes = 1 << 10 }},
		{"request buffer good", env{"LOG_REQUEST_BUFFER_BYTES": "64KiB"}, "",
			func(c *Config) { c.SamplingOptions.MaxRequestBytes = 64 << 10 }},
		{"request buffer above the default total", env{"LOG_REQUEST_BUFFER_BYTES": "64MiB"},
			`LOG_REQUEST_BUFFER_BYTES: "64MiB" is above the maximum 32MiB: the buffer of all requests (LOG_BUFFER_BYTES) must hold it; raise LOG_BUFFER_BYTES too`, nil},
		{"request buffer with a total to hold it", env{"LOG_REQUEST_BUFFER_BYTES": "64MiB", "LOG_BUFFER_BYTES": "64MiB"}, "",
			func(c *Config) {
				c.SamplingOptions.MaxRequestBytes, c.SamplingOptions.MaxBufferedBytes = 64<<20, 64<<20
			}},
		{"total buffer 64", env{"LOG_BUFFER_BYTES": "64"},
			`LOG_BUFFER_BYTES: "64" is below the minimum 512KiB: it must hold the buffer of one request (LOG_REQUEST_BUFFER_BYTES)`, nil},
		{"total buffer below the default request buffer", env{"LOG_BUFFER_BYTES": "511KiB"},
			`LOG_BUFFER_BYTES: "511KiB" is below the minimum 512KiB: it must hold the buffer of one request (LOG_REQUEST_BUFFER_BYTES)`, nil},
		{"total buffer minimum", env{"LOG_BUFFER_BYTES": "512KiB"}, "",
			func(c *Config) { c.SamplingOptions.MaxBufferedBytes = 512 << 10 }},
		{"total buffer below a set request buffer", env{"LOG_REQUEST_BUFFER_BYTES": "4KiB", "LOG_BUFFER_BYTES": "4095"},
			`LOG_BUFFER_BYTES: "4095" is below the minimum 4KiB: it must hold the buffer of one request (LOG_REQUEST_BUFFER_BYTES)`,
			func(c *Config) { c.SamplingOptions.MaxRequestBytes = 4 << 10 }},
		{"total buffer at a set request buffer", env{"LOG_REQUEST_BUFFER_BYTES": "4KiB", "LOG_BUFFER_BYTES": "4KiB"}, "",
			func(c *Config) { c.SamplingOptions.MaxRequestBytes, c.SamplingOptions.MaxBufferedBytes = 4<<10, 4<<10 }},
		{"total buffer good", env{"LOG_BUFFER_BYTES": "1GiB"}, "",
			func(c *Config) { c.SamplingOptions.MaxBufferedBytes = 1 << 30 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.env.config(DefaultConfig())
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("error:\n got %q\nwant %q", gotErr, tc.wantErr)
			}
			want := DefaultConfig()
			if tc.edit != nil {
				tc.edit(&want)
			}
			if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			// What the environment yields, with or without an error, builds.
			if err := got.Validate(); err != nil {
				t.Errorf("the Config returned does not validate: %v", err)
			}
		})
	}
}

// TestValidateMinimumSizes checks every size field of Config set directly:
// too small or negative (NewStack refuses with errors naming each field and
// its minimum), zero (the default), the minimum and a good value; and that
// the fields of a feature that is off are not checked.
func TestValidateMinimumSizes(t *testing.T) {
	base := func(edit func(*Config)) Config {
		c := DefaultConfig()
		edit(&c)
		return c
	}
	queue := func(n int) func(*Config) { return func(c *Config) { c.AsyncOptions.MaxBytes = n } }
	request := func(n int) func(*Config) { return func(c *Config) { c.SamplingOptions.MaxRequestBytes = n } }
	total := func(n int64) func(*Config) { return func(c *Config) { c.SamplingOptions.MaxBufferedBytes = n } }
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr []string // the joined errors, in order
	}{
		{"defaults", base(func(*Config) {}), nil},
		{"queue 64", base(queue(64)), []string{
			"slogstack: AsyncOptions.MaxBytes is 64 bytes; it must be 0 for the default or at least 64KiB (65536 bytes), one block of the queue"}},
		{"queue negative", base(queue(-1)), []string{
			"slogstack: AsyncOptions.MaxBytes is -1; it must not be negative"}},
		{"queue minimum", base(queue(64 << 10)), nil},
		{"queue good", base(queue(16 << 20)), nil},
		{"queue zero is the default", base(queue(0)), nil},
		{"queue 64 with async off", base(func(c *Config) { c.Async = false; c.AsyncOptions.MaxBytes = 64 }), nil},
		{"request 64", base(request(64)), []string{
			"slogstack: SamplingOptions.MaxRequestBytes is 64 bytes; it must be 0 for no buffering or at least 1KiB (1024 bytes), one record"}},
		{"request minimum", base(request(1 << 10)), nil},
		{"request good", base(request(64 << 10)), nil},
		{"request above the total", base(request(64 << 20)), []string{
			"slogstack: SamplingOptions.MaxBufferedBytes is 33554432 bytes; it must be 0 for no buffering or at least 64MiB (67108864 bytes), the buffer of one request (SamplingOptions.MaxRequestBytes)"}},
		{"request negative", base(request(-1)), []string{
			"slogstack: SamplingOptions.MaxRequestBytes is -1; it must not be negative"}},
		{"total 64", base(total(64)), []string{
			"slogstack: SamplingOptions.MaxBufferedBytes is 64 bytes; it must be 0 for no buffering or at least 512KiB (524288 bytes), the buffer of one request (SamplingOptions.MaxRequestBytes)"}},
		{"total negative", base(total(-5)), []string{
			"slogstack: SamplingOptions.MaxBufferedBytes is -5; it must not be negative"}},
		{"total minimum", base(total(512 << 10)), nil},
		{"total at a small request buffer", base(func(c *Config) { request(2 << 10)(c); total(2 << 10)(c) }), nil},
		{"total good", base(total(1 << 30)), nil},
		{"zero sizes are no buffering", base(func(c *Config) { request(0)(c); total(0)(c) }), nil},
		{"sizes ignored with buffering off", base(func(c *Config) {
			c.SamplingOptions.MaxRequestRecords = 0
			request(64)(c)
			total(64)(c)
		}), nil},
		{"sizes ignored with sampling off", base(func(c *Config) { c.Sampling = false; request(64)(c); total(-1)(c) }), nil},
		{"every problem at once", base(func(c *Config) { queue(64)(c); request(64)(c); total(64)(c) }), []string{
			"slogstack: SamplingOptions.MaxRequestBytes is 64 bytes; it must be 0 for no buffering or at least 1KiB (1024 bytes), one record",
			"slogstack: SamplingOptions.MaxBufferedBytes is 64 bytes; it must be 0 for no buffering or at least 1KiB (1024 bytes), the buffer of one request (SamplingOptions.MaxRequestBytes)",
			"slogstack: AsyncOptions.MaxBytes is 64 bytes; it must be 0 for the default or at least 64KiB (65536 bytes), one block of the queue"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if diff := cmp.Diff(tc.wantErr, joinedMessages(err)); diff != "" {
				t.Errorf("Validate errors (-want +got):\n%s", diff)
			}
			s, err := NewStack(io.Discard, tc.cfg)
			if diff := cmp.Diff(tc.wantErr, joinedMessages(err)); diff != "" {
				t.Errorf("NewStack errors (-want +got):\n%s", diff)
			}
			if s != nil {
				if err := s.Shutdown(t.Context()); err != nil {
					t.Error(err)
				}
			}
			sw, err := NewStackWithSink(slog.DiscardHandler, tc.cfg)
			if diff := cmp.Diff(tc.wantErr, joinedMessages(err)); diff != "" {
				t.Errorf("NewStackWithSink errors (-want +got):\n%s", diff)
			}
			if sw != nil {
				if err := sw.Shutdown(t.Context()); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestMinimumSizesLog checks that a stack at every minimum size logs: the
// minimums are sizes that hold records, not sizes that drop them all.
func TestMinimumSizesLog(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AsyncOptions = async.Options{MaxBytes: minQueueBytes}
	cfg.SamplingOptions = sampling.Options{MaxRequestBytes: minRequestBufferBytes, MaxBufferedBytes: minRequestBufferBytes}
	cfg.SamplingPolicy.Rate = 1
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := range n {
		s.Logger().Info("request handled", "i", i, "path", "/api/v1/orders")
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != n {
		t.Errorf("%d lines written, want %d; stats %+v", got, n, s.Stats().Async)
	}
}

// joinedMessages returns the messages of the errors joined in err, nil for
// no error.
func joinedMessages(err error) []string {
	if err == nil {
		return nil
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return []string{err.Error()}
	}
	var msgs []string
	for _, e := range joined.Unwrap() {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

// TestValidateRejects checks the values Validate refuses besides sizes: a
// negative count, size, duration or rate anywhere in the options of a
// feature that is on (and none of a feature that is off), a rate that is
// not a number, the HTTP fields the stack sets itself, a nil LevelVar.
func TestValidateRejects(t *testing.T) {
	edit := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	var nilLevel *slog.LevelVar
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{"nil LevelVar", edit(func(c *Config) { c.Level = nilLevel }), []string{
			"slogstack: Level is a nil *slog.LevelVar"}},
		{"nil *slog.Level", edit(func(c *Config) { c.Level = (*slog.Level)(nil) }), []string{
			"slogstack: Level is a nil *slog.Level"}},
		{"a *slog.Level", edit(func(c *Config) { l := slog.LevelWarn; c.Level = &l }), nil},
		{"rate NaN", edit(func(c *Config) { c.SamplingPolicy.Rate = math.NaN() }), []string{
			"slogstack: SamplingPolicy.Rate NaN is not a number from 0 to 1"}},
		{"rate negative", edit(func(c *Config) { c.SamplingPolicy.Rate = -1 }), []string{
			"slogstack: SamplingPolicy.Rate -1 is not a number from 0 to 1"}},
		{"rate infinite", edit(func(c *Config) { c.SamplingPolicy.Rate = math.Inf(1) }), []string{
			"slogstack: SamplingPolicy.Rate +Inf is not a number from 0 to 1"}},
		{"rate 10 meant as 10%", edit(func(c *Config) { c.SamplingPolicy.Rate = 10 }), []string{
			"slogstack: SamplingPolicy.Rate 10 is not a number from 0 to 1"}},
		{"rate 1", edit(func(c *Config) { c.SamplingPolicy.Rate = 1 }), nil},
		{"rate 10 with sampling off", edit(func(c *Config) { c.Sampling, c.SamplingPolicy.Rate = false, 10 }), nil},
		{"body capture that captures nothing", edit(func(c *Config) { c.HTTP.Body.Request, c.HTTP.Body.MaxBytes = true, 0 }), []string{
			"slogstack: HTTP.Body.MaxBytes is 0 with body capture on, which captures nothing; set the most bytes to log per body (httpctx.DefaultOptions has 4096)"}},
		{"response capture that captures nothing", edit(func(c *Config) { c.HTTP.Body.Response, c.HTTP.Body.MaxBytes = true, 0 }), []string{
			"slogstack: HTTP.Body.MaxBytes is 0 with body capture on, which captures nothing; set the most bytes to log per body (httpctx.DefaultOptions has 4096)"}},
		{"body capture off, no size", edit(func(c *Config) { c.HTTP.Body.MaxBytes = 0 }), nil},
		{"unscoped rate negative", edit(func(c *Config) { c.SamplingOptions.UnscopedRate = -0.5 }), []string{
			"slogstack: SamplingOptions.UnscopedRate is -0.5; it must be a number, not negative"}},
		{"buffer records negative", edit(func(c *Config) { c.SamplingOptions.MaxRequestRecords = -1 }), []string{
			"slogstack: SamplingOptions.MaxRequestRecords is -1; it must not be negative"}},
		{"unknown pattern names", edit(func(c *Config) { c.RedactOptions.DisablePatterns = []string{"jwt", "Card", "bearer_token"} }), []string{
			`slogstack: RedactOptions: redact: Options.DisablePatterns: unknown pattern "Card" (valid: bearer, basic, jwt, card, aws_access_key, gcp_api_key, github_token, slack_token, stripe_key, private_key, url_password, key_value, custom)`,
			`slogstack: RedactOptions: redact: Options.DisablePatterns: unknown pattern "bearer_token" (valid: bearer, basic, jwt, card, aws_access_key, gcp_api_key, github_token, slack_token, stripe_key, private_key, url_password, key_value, custom)`}},
		{"unknown pattern name, redaction off", edit(func(c *Config) { c.Redact, c.RedactOptions.DisablePatterns = false, []string{"Card"} }), nil},
		{"aggregation negatives", edit(func(c *Config) {
			c.AggregationOptions.Burst, c.AggregationOptions.Window, c.AggregationOptions.MaxGroups = -1, -time.Second, -3
		}), []string{
			"slogstack: AggregationOptions.Burst is -1; it must not be negative",
			"slogstack: AggregationOptions.Window is -1s; it must not be negative",
			"slogstack: AggregationOptions.MaxGroups is -3; it must not be negative"}},
		{"aggregation negatives ignored when off", edit(func(c *Config) { c.Aggregation = false; c.AggregationOptions.Burst = -1 }), nil},
		{"redact negative cache", edit(func(c *Config) { c.RedactOptions.KeyCacheSize = -1 }), []string{
			"slogstack: RedactOptions.KeyCacheSize is -1; it must not be negative"}},
		{"async negatives", edit(func(c *Config) {
			c.AsyncOptions.Capacity, c.AsyncOptions.Reserved, c.AsyncOptions.StallTimeout = -1, -2, -time.Millisecond
		}), []string{
			"slogstack: AsyncOptions.Capacity is -1; it must not be negative",
			"slogstack: AsyncOptions.Reserved is -2; it must not be negative",
			"slogstack: AsyncOptions.StallTimeout is -1ms; it must not be negative"}},
		{"async negatives ignored when off", edit(func(c *Config) { c.Async = false; c.AsyncOptions.Capacity = -1 }), nil},
		{"http body negative", edit(func(c *Config) { c.HTTP.Body.MaxBytes = -1 }), []string{
			"slogstack: HTTP.Body.MaxBytes is -1; it must not be negative"}},
		{"http logger set", edit(func(c *Config) { c.HTTP.Logger = slog.Default() }), []string{
			"slogstack: HTTP.Logger is set; leave it nil: Stack.Middleware logs through the stack's logger"}},
		{"http policy set", edit(func(c *Config) { c.HTTP.Policy = sampling.DefaultPolicy() }), []string{
			"slogstack: HTTP.Policy is set; leave it nil: Stack.Middleware decides with the stack's SamplingPolicy"}},
		{"http policy zero but set", edit(func(c *Config) { c.HTTP.Policy = sampling.Policy{} }), []string{
			"slogstack: HTTP.Policy is set; leave it nil: Stack.Middleware decides with the stack's SamplingPolicy"}},
		{"zero config", Config{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.wantErr, joinedMessages(tc.cfg.Validate())); diff != "" {
				t.Errorf("Validate errors (-want +got):\n%s", diff)
			}
		})
	}
}
