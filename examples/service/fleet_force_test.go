package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/httpctx"
)

// testForceKey is the LOG_FORCE_KEY of the forced-sampling tests.
const testForceKey = "test-force-key-0123456789"

// handMintedToken makes a token of the documented form with any expiry,
// which sampling.ForceToken refuses to do for an expiry in the past or
// too far ahead:
// v1.<expiry>.<base64url(HMAC-SHA256(key, "slogstack-force-v1\n" + id + "\n" + expiry))>.
func handMintedToken(key, id string, expiry time.Time) string {
	exp := strconv.FormatInt(expiry.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("slogstack-force-v1\n" + id + "\n" + exp))
	return "v1." + exp + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// forceTokenCLI mints a token with the service's -force-token, as an
// operator does.
func forceTokenCLI(t *testing.T, key, id string, args ...string) (string, error) {
	t.Helper()
	unsetLogEnv(t)
	if key != "" {
		t.Setenv("LOG_FORCE_KEY", key)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"-force-token", id}, args...), &stdout, &stderr)
	return strings.TrimSpace(stdout.String()), err
}

// TestForceTokenFlag checks the operator's tool: -force-token prints a
// token the services accept, for -force-ttl; without LOG_FORCE_KEY, with
// a bad ID or a lifetime over 24h it prints nothing and fails clearly.
func TestForceTokenFlag(t *testing.T) {
	for _, tc := range []struct {
		name, key, id string
		args          []string
		ttl           time.Duration
		err           string
	}{
		{name: "default lifetime", key: testForceKey, id: "case-1234", ttl: 10 * time.Minute},
		{name: "an hour", key: testForceKey, id: "case-1234", args: []string{"-force-ttl", "1h"}, ttl: time.Hour},
		{name: "no key", id: "case-1234", err: "LOG_FORCE_KEY is not set"},
		{name: "key too short", key: "short", id: "case-1234", err: "LOG_FORCE_KEY"},
		{name: "bad ID", key: testForceKey, id: "two words", err: "correlation ID"},
		{name: "lifetime too long", key: testForceKey, id: "case-1234", args: []string{"-force-ttl", "25h"}, err: "-force-ttl"},
		{name: "lifetime zero", key: testForceKey, id: "case-1234", args: []string{"-force-ttl", "0s"}, err: "-force-ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			token, err := forceTokenCLI(t, tc.key, tc.id, tc.args...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || token != "" {
					t.Fatalf("-force-token: %q, %v; want no token and an error with %q", token, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The token is the documented form for the expiry the lifetime
			// gives (the second it was minted in, or the next).
			var want []string
			for s := start.Unix(); s <= time.Now().Unix(); s++ {
				want = append(want, handMintedToken(tc.key, tc.id, time.Unix(s, 0).Add(tc.ttl)))
			}
			found := false
			for _, w := range want {
				found = found || w == token
			}
			if !found {
				t.Errorf("-force-token printed %q, want one of %q", token, want)
			}
		})
	}
}

// TestForcedSamplingThroughChain runs three instances in a chain with one
// LOG_FORCE_KEY at a sampling rate of 0, and a fourth without a key, and
// sends requests with X-Log-Force tokens:
//   - a valid token (from -force-token) is kept whole at every instance,
//     marked "forced" (the first passes the token on to the next);
//   - forged, for another ID, expired, living too long, malformed and
//     oversized tokens change nothing (the rate of 0 drops the request
//     everywhere) and are counted by the first instance, by kind;
//   - without a key, a valid token does nothing and is counted as NoKey.
func TestForcedSamplingThroughChain(t *testing.T) {
	env := []string{"LOG_SAMPLING_RATE=0", "LOG_FORCE_KEY=" + testForceKey}
	valid, err := forceTokenCLI(t, testForceKey, "forced-valid")
	if err != nil {
		t.Fatal(err)
	}
	chain := startChain(t, 3, env, "-admin-addr", "127.0.0.1:0")
	noKey := startProc(t, "no-key", []string{"LOG_SAMPLING_RATE=0"}, "-admin-addr", "127.0.0.1:0")
	client := fleetClient(t)
	now := time.Now()
	cases := []struct {
		name, id, token string
		to              *proc
		kept            bool
	}{
		{name: "valid", id: "forced-valid", token: valid, to: chain[0], kept: true},
		{name: "forged", id: "forced-forged", token: handMintedToken("another-key-0123456789", "forced-forged", now.Add(time.Hour)), to: chain[0]},
		{name: "another ID", id: "forced-other", token: valid, to: chain[0]},
		{name: "expired", id: "forced-expired", token: handMintedToken(testForceKey, "forced-expired", now.Add(-time.Minute)), to: chain[0]},
		{name: "lifetime too long", id: "forced-long", token: handMintedToken(testForceKey, "forced-long", now.Add(25*time.Hour)), to: chain[0]},
		{name: "malformed", id: "forced-malformed", token: "v1.not-a-number.abc", to: chain[0]},
		{name: "oversized", id: "forced-oversized", token: valid + strings.Repeat("A", 128), to: chain[0]},
		{name: "no key", id: "forced-nokey", token: handMintedToken(testForceKey, "forced-nokey", now.Add(time.Hour)), to: noKey},
	}
	var calls []*call
	for _, tc := range cases {
		calls = append(calls, &call{id: tc.id, url: tc.to.url + "/api/v1/work?n=2", header: http.Header{"X-Log-Force": {tc.token}}, want: http.StatusOK})
	}
	sendAll(t, client, 1, calls)
	for i, tc := range cases {
		if got := calls[i].sampled; got != strconv.FormatBool(tc.kept) {
			t.Errorf("%s: X-Log-Sampled %q, want %v", tc.name, got, tc.kept)
		}
	}

	// The counts, live on each admin listener's /debug/vars.
	wantCounts := map[*proc]httpctx.ForceCounts{
		chain[0]: {Accepted: 1, Forged: 2, Expired: 1, Invalid: 3},
		chain[1]: {Accepted: 1},
		chain[2]: {Accepted: 1},
		noKey:    {NoKey: 1},
	}
	for p, want := range wantCounts {
		var vars struct {
			Slogstack struct {
				HTTP struct{ Force httpctx.ForceCounts }
			}
		}
		getJSON(t, client, p.admin+"/debug/vars", &vars)
		if diff := cmp.Diff(want, vars.Slogstack.HTTP.Force); diff != "" {
			t.Errorf("%s: force counts (-want +got):\n%s", p.name, diff)
		}
	}

	procs := append(append([]*proc(nil), chain...), noKey)
	stopAll(t, procs)
	for _, p := range procs {
		all, byID := p.records(t)
		p.checkAccounted(t, len(all))
		for _, tc := range cases {
			var want []string
			if tc.kept && (p != noKey) {
				want = []string{"step 0", "step 1", "access 200"}
			}
			lines := byID[tc.id]
			if diff := cmp.Diff(want, recordSequence(lines)); diff != "" {
				t.Errorf("%s at %s: records (-want +got):\n%s", tc.name, p.name, diff)
			}
			for _, l := range lines {
				if l.str("_sample_reason") != "forced" {
					t.Errorf("%s at %s: %q has _sample_reason %q, want forced", tc.name, p.name, l.str("msg"), l.str("_sample_reason"))
				}
			}
		}
		if p == noKey {
			continue
		}
		// The token is the operator's secret for one request: it is in no
		// record; the key is in no output (the startup record and the
		// report say force_key=set).
		if strings.Contains(p.stdout.String(), valid) {
			t.Errorf("%s: the token appears in the log", p.name)
		}
		if out := p.stdout.String() + p.stderr.String(); strings.Contains(out, testForceKey) || !strings.Contains(out, `"force_key":"set"`) {
			t.Errorf("%s: the output shows the key, or not that it is set", p.name)
		}
	}
}
