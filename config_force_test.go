package slogstack

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// forceKeySecret is a key whose bytes must never appear in an error or a
// logged configuration.
const forceKeySecret = "hunter2-hunter2-hunter2-0123456789"

func TestConfigFromEnvForceKey(t *testing.T) {
	withKey := DefaultConfig()
	withKey.HTTP.ForceKey = []byte("base-key-0123456789")
	for _, tc := range []struct {
		name    string
		base    Config
		env     env
		want    []byte
		wantErr string
	}{
		{"unset keeps the base's", withKey, env{}, []byte("base-key-0123456789"), ""},
		{"set", DefaultConfig(), env{"LOG_FORCE_KEY": forceKeySecret}, []byte(forceKeySecret), ""},
		{"bytes as set, not trimmed", DefaultConfig(), env{"LOG_FORCE_KEY": " 0123456789abcdef "}, []byte(" 0123456789abcdef "), ""},
		{"16 bytes", DefaultConfig(), env{"LOG_FORCE_KEY": "0123456789abcdef"}, []byte("0123456789abcdef"), ""},
		{"empty turns it off", withKey, env{"LOG_FORCE_KEY": ""}, nil, ""},
		{"15 bytes", withKey, env{"LOG_FORCE_KEY": "hunter2hunter2!"}, []byte("base-key-0123456789"),
			"LOG_FORCE_KEY: the key has 15 bytes; it must have at least 16 (32 random bytes are best, for example the output of openssl rand -base64 32)"},
		{"1 byte", DefaultConfig(), env{"LOG_FORCE_KEY": "h"}, nil,
			"LOG_FORCE_KEY: the key has 1 bytes; it must have at least 16 (32 random bytes are best, for example the output of openssl rand -base64 32)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.env.config(tc.base)
			if diff := cmp.Diff(tc.want, got.HTTP.ForceKey); diff != "" {
				t.Errorf("HTTP.ForceKey (-want +got):\n%s", diff)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tc.wantErr)
			}
			if strings.Contains(gotErr, "hunter2") {
				t.Errorf("the error shows the key: %q", gotErr)
			}
		})
	}
}

func TestConfigFromEnvForceKeyMisspelled(t *testing.T) {
	_, err := env{"LOG_FORCE_KY": forceKeySecret}.config(DefaultConfig())
	want := "LOG_FORCE_KY: unknown variable; did you mean LOG_FORCE_KEY?"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestValidateForceKey(t *testing.T) {
	for _, tc := range []struct {
		name    string
		key     []byte
		wantErr string
	}{
		{"none", nil, ""},
		{"empty", []byte{}, ""},
		{"16 bytes", []byte("0123456789abcdef"), ""},
		{"15 bytes", []byte("hunter2hunter2!"), "slogstack: HTTP.ForceKey has 15 bytes; a forced-sampling key must have at least 16 (32 random bytes are best), or be empty to turn forced sampling off"},
		{"1 byte", []byte("h"), "slogstack: HTTP.ForceKey has 1 bytes; a forced-sampling key must have at least 16 (32 random bytes are best), or be empty to turn forced sampling off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HTTP.ForceKey = tc.key
			gotErr := ""
			if err := cfg.Validate(); err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("Validate = %q, want %q", gotErr, tc.wantErr)
			}
		})
	}
}

// TestConfigValueShowsForceKeySetNeverTheKey checks that the logged
// configuration says a key is set, and never shows it, in String and in
// the JSON record; without a key it says nothing (as before keys existed).
func TestConfigValueShowsForceKeySetNeverTheKey(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HTTP.ForceKey = []byte(forceKeySecret)
	s := cfg.String()
	if !strings.HasSuffix(s, " http.recover=false http.force_key=set") {
		t.Errorf("String does not end with force_key=set: %s", s)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("logging configured", "config", cfg)
	for _, out := range []string{s, buf.String()} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("the configuration shows the key: %s", out)
		}
	}
	if !strings.Contains(buf.String(), `"recover":false,"force_key":"set"}`) {
		t.Errorf("JSON does not say force_key set: %s", buf.String())
	}
	if off := DefaultConfig().String(); strings.Contains(off, "force_key") {
		t.Errorf("String without a key mentions force_key: %s", off)
	}
}

// TestStackForcedSampling checks that a stack with Config.HTTP.ForceKey
// logs a request with a valid token whole at rate 0 (through Middleware,
// and a job through ScopeOptions with a carried token), with reason
// forced, and that a token made with another key changes nothing.
func TestStackForcedSampling(t *testing.T) {
	key := []byte("stack-force-key-0123456789abcdef")
	cfg := DefaultConfig()
	cfg.Async = false
	cfg.SamplingPolicy.Rate = 0
	cfg.HTTP.ForceKey = key
	buf := &logtest.Buffer{}
	stack, err := NewStackWithSink(slog.NewJSONHandler(buf, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Shutdown(context.Background())
	h := stack.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("working")
	}))
	valid, err := sampling.ForceToken(key, "forced-1", time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := sampling.ForceToken([]byte("another-key-0123456789abcdef"), "forced-2", time.Now().Add(time.Minute))
	for id, tok := range map[string]string{"forced-1": valid, "forced-2": forged} {
		req := httptest.NewRequest(http.MethodGet, "/work", nil)
		req.Header.Set("X-Correlation-ID", id)
		req.Header.Set("X-Log-Force", tok)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	opts := stack.ScopeOptions("job/report")
	opts.Carrier = scopeCarrier{"X-Correlation-ID": "job-1", "X-Log-Force": mustToken(t, key, "job-1")}
	ctx, end := scope.Start(context.Background(), opts)
	scope.Logger(ctx).Info("job working")
	end(nil)

	var got []string
	for _, rec := range buf.Lines(t) {
		got = append(got, rec["msg"].(string)+" "+rec["correlation_id"].(string)+" "+rec["_sample_reason"].(string))
	}
	want := []string{
		"working forced-1 forced", "request completed forced-1 forced",
		"job working job-1 forced", "scope completed job-1 forced",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if got := stack.Stats().Sampling.RequestsSampled; got.Forced != 2 || got.Total() != 2 {
		t.Errorf("sampling handler's RequestsSampled = %+v; want the 2 forced scopes", got)
	}
	st := stack.Stats().HTTP
	if st.Force.Accepted != 1 || st.Force.Forged != 1 || st.Reasons.Forced != 1 || st.Reasons.Rate != 1 {
		t.Errorf("HTTP stats: Force %+v, Reasons %+v", st.Force, st.Reasons)
	}
}

// scopeCarrier is a message's headers for scope.Options.Carrier.
type scopeCarrier map[string]string

func (c scopeCarrier) Get(k string) string { return c[k] }
func (c scopeCarrier) Set(k, v string)     { c[k] = v }
func (c scopeCarrier) Keys() []string {
	var ks []string
	for k := range c {
		ks = append(ks, k)
	}
	return ks
}

func mustToken(t *testing.T, key []byte, id string) string {
	t.Helper()
	tok, err := sampling.ForceToken(key, id, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestScopeOptionsForceKeyIsACopy checks that a caller who changes the
// key of the ScopeOptions it got (or the slice it configured the stack
// with) does not change the key the stack's scopes and requests verify
// with.
func TestScopeOptionsForceKeyIsACopy(t *testing.T) {
	key := []byte("stack-force-key-0123456789abcdef")
	cfg := DefaultConfig()
	cfg.Async = false
	cfg.SamplingPolicy.Rate = 0
	cfg.HTTP.ForceKey = slices.Clone(key)
	stack, err := NewStackWithSink(slog.NewJSONHandler(io.Discard, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Shutdown(context.Background())
	copy(cfg.HTTP.ForceKey, "YYYYYYYYYYYYYYYY") // the configured slice, after NewStack
	first := stack.ScopeOptions("job")
	copy(first.ForceKey, "XXXXXXXXXXXXXXXX")
	opts := stack.ScopeOptions("job")
	opts.Carrier = scopeCarrier{"X-Correlation-ID": "job-1", "X-Log-Force": mustToken(t, key, "job-1")}
	ctx, end := scope.Start(context.Background(), opts)
	defer end(nil)
	if d, _ := scope.DecisionOf(ctx); d.Reason != "forced" {
		t.Errorf("decision %+v after the caller changed the key it configured and one it was given; want forced", d)
	}
}
