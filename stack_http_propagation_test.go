package slogstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// propagationStack returns a stack at rate 0.1 writing JSON to a buffer,
// with forced sampling under key, and the buffer.
func propagationStack(t *testing.T, key []byte) (*Stack, *logtest.Buffer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Async = false
	cfg.SamplingPolicy.Rate = 0.1
	cfg.HTTP.ForceKey = key
	buf := &logtest.Buffer{}
	stack, err := NewStackWithSink(slog.NewJSONHandler(buf, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Shutdown(context.Background()) })
	return stack, buf
}

// kept returns, per service, the correlation IDs whose "working" record
// was written, sorted.
func keptIDs(t *testing.T, buf *logtest.Buffer) []string {
	t.Helper()
	var ids []string
	for _, r := range buf.Lines(t) {
		if r["msg"] == "working" {
			ids = append(ids, r["correlation_id"].(string))
		}
	}
	slices.Sort(ids)
	return ids
}

// TestPropagationAtoB checks service A calling service B through
// httpctx.Transport, two stacks at rate 0.1: for 1000 random correlation
// IDs, B's records carry A's ID, and A and B keep exactly the same
// requests, those sampling.Decide(id, 0.1) keeps; a request forced at A
// with a token is forced at B (same key) too.
func TestPropagationAtoB(t *testing.T) {
	key := []byte("propagation-key-0123456789abcdef")
	stackB, bufB := propagationStack(t, key)
	b := httptest.NewServer(stackB.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("working", "service", "b")
	})))
	defer b.Close()

	stackA, bufA := propagationStack(t, key)
	client := &http.Client{Transport: httpctx.Transport(b.Client().Transport)}
	a := httptest.NewServer(stackA.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope.Logger(r.Context()).Info("working", "service", "a")
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, b.URL+"/work", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})))
	defer a.Close()

	rng := rand.New(rand.NewPCG(7, 11))
	var want []string
	call := func(id, token string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, a.URL+"/work", nil)
		req.Header.Set("X-Correlation-ID", id)
		if token != "" {
			req.Header.Set("X-Log-Force", token)
		}
		resp, err := a.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", id, resp.StatusCode)
		}
	}
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("%016x-%d", rng.Uint64(), i)
		if sampling.Decide(id, 0.1) {
			want = append(want, id)
		}
		call(id, "")
	}
	// A forced request whose ID the rate drops: forced in both services.
	forcedID := "forced-0"
	for sampling.Decide(forcedID, 0.1) {
		forcedID += "0"
	}
	tok, err := sampling.ForceToken(key, forcedID, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	call(forcedID, tok)
	want = append(want, forcedID)
	slices.Sort(want)

	if len(want) < 50 || len(want) > 160 {
		t.Fatalf("%d of 1000 IDs sampled at 0.1: the IDs are not random", len(want))
	}
	gotA, gotB := keptIDs(t, bufA), keptIDs(t, bufB)
	if diff := cmp.Diff(want, gotA); diff != "" {
		t.Errorf("A kept (-Decide +A):\n%s", diff)
	}
	if diff := cmp.Diff(want, gotB); diff != "" {
		t.Errorf("B kept (-Decide +B):\n%s", diff)
	}
	for _, buf := range []*logtest.Buffer{bufA, bufB} {
		for _, r := range buf.Lines(t) {
			if r["correlation_id"] == forcedID && r["_sample_reason"] != "forced" {
				t.Errorf("forced request's record %v has reason %v", r["msg"], r["_sample_reason"])
			}
		}
	}
	stA, stB := stackA.Stats().HTTP, stackB.Stats().HTTP
	if stB.IDs.FromCorrelationHeader != 1001 || stB.IDs.Generated != 0 {
		t.Errorf("B's IDs: %+v; want all 1001 from X-Correlation-ID", stB.IDs)
	}
	if stA.Force.Accepted != 1 || stB.Force.Accepted != 1 || stA.Reasons.Forced != 1 || stB.Reasons.Forced != 1 {
		t.Errorf("forced: A %+v %+v, B %+v %+v", stA.Force, stA.Reasons, stB.Force, stB.Reasons)
	}
}
