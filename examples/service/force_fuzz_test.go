package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slogstack/slogstack/httpctx"
)

// sameToken reports whether token has the same version, expiry and MAC as
// want (a token that parses to what want does, however it is spelled).
func sameToken(token, want string) bool {
	parse := func(s string) (int64, []byte, bool) {
		parts := strings.Split(s, ".")
		if len(parts) != 3 || parts[0] != "v1" {
			return 0, nil, false
		}
		exp, err := strconv.ParseInt(parts[1], 10, 64)
		mac, err2 := base64.RawURLEncoding.DecodeString(parts[2])
		return exp, mac, err == nil && err2 == nil
	}
	e1, m1, ok1 := parse(token)
	e2, m2, ok2 := parse(want)
	return ok1 && ok2 && e1 == e2 && bytes.Equal(m1, m2)
}

// FuzzForceHeader sends any X-Log-Force header value to the service's
// routes behind its stack (forcing on, rate 0) and checks that the request
// is forced (X-Log-Sampled true, its records written, marked "forced") only
// for the token minted with the key for its correlation ID, that any other
// value changes nothing, and that every header, empty or not, is counted
// once, by kind.
func FuzzForceHeader(f *testing.F) {
	const id = "fuzz-case-1"
	key := []byte(testForceKey)
	expiry := time.Now().Add(time.Hour)
	valid := handMintedToken(testForceKey, id, expiry)
	for _, seed := range []string{
		valid, "", valid + "A", strings.ToUpper(valid), "v1", "v1..", "v1.1.", "v2" + valid[2:],
		handMintedToken(testForceKey, "another-id", expiry),
		handMintedToken("another-key-0123456789", id, expiry),
		handMintedToken(testForceKey, id, time.Now().Add(-time.Minute)),
		handMintedToken(testForceKey, id, time.Now().Add(48*time.Hour)),
		strings.Repeat("v1.", 60), "\x00\xff", " " + valid,
	} {
		f.Add(seed)
	}

	cfg := baseConfig()
	cfg.SamplingPolicy.Rate = 0
	cfg.SamplingPolicy.AlwaysSamplePaths = nil
	cfg.HTTP.ForceKey = key
	cfg.Async = false
	var out syncBuffer
	logs, err := newLoggingWith(&out, cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { logs.shutdown(context.Background()) })
	h := logs.stack.Middleware((&API{log: logs.logger}).Routes())
	force := func() httpctx.ForceCounts { return logs.stack.Stats().HTTP.Force }
	total := func(c httpctx.ForceCounts) uint64 { return c.Accepted + c.Invalid + c.Forged + c.Expired + c.NoKey }

	f.Fuzz(func(t *testing.T, token string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/work?n=1", nil)
		req.Header.Set("X-Correlation-ID", id)
		req.Header.Set("X-Log-Force", token)
		before := force()
		offset := len(out.String())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		after := force()

		accepted := after.Accepted > before.Accepted
		if accepted != sameToken(token, valid) && (accepted || token == valid) {
			t.Fatalf("token %q: accepted %v; only %q is valid", token, accepted, valid)
		}
		if got := rec.Header().Get("X-Log-Sampled"); got != strconv.FormatBool(accepted) {
			t.Fatalf("token %q: X-Log-Sampled %q, accepted %v", token, got, accepted)
		}
		// The header is present (if empty): it is counted once, by kind.
		if d := total(after) - total(before); d != 1 {
			t.Fatalf("token %q counted %d times (%+v -> %+v), want once", token, d, before, after)
		}
		written := parseLines(t, out.String()[offset:])
		wantLines := 0
		if accepted {
			wantLines = 2 // the step and the access record
		}
		if len(written) != wantLines {
			t.Fatalf("token %q: %d records written, want %d", token, len(written), wantLines)
		}
		for _, l := range written {
			if l.str("_sample_reason") != "forced" || l.str("correlation_id") != id {
				t.Fatalf("token %q: record %v, want forced for %s", token, l, id)
			}
		}
	})
}
