package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what the load driver saw from the client side.
type loadResult struct {
	Requests  atomic.Uint64 // responses received
	Status2xx atomic.Uint64
	Status4xx atomic.Uint64
	Status5xx atomic.Uint64
	Failures  atomic.Uint64 // transport errors: no response
	Latency   histogram     // request sent to response body read
}

// testCards are card numbers that pass the Luhn check (the card networks'
// published test numbers).
var testCards = []string{"4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "4000 0566 5566 5556"}

// sharedIDs is a small ring of correlation IDs that clients reuse, as
// retries and calls forwarded from another service do.
type sharedIDs struct {
	mu  sync.Mutex
	ids [64]string
	n   int
}

func (s *sharedIDs) put(id string) {
	s.mu.Lock()
	s.ids[s.n%len(s.ids)] = id
	s.n++
	s.mu.Unlock()
}

func (s *sharedIDs) get(r *rand.Rand) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return ""
	}
	return s.ids[r.IntN(min(s.n, len(s.ids)))]
}

// runLoad drives baseURL with clients concurrent loopback clients until d
// has passed or ctx is done, with a realistic mix: reads of present and
// absent users, batch lookups, payments (some with bad bodies), work and
// failing work, and health checks; some correlation IDs repeated across
// calls, some requests with a W3C traceparent, some with no ID at all.
func runLoad(ctx context.Context, baseURL string, clients int, d time.Duration) *loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	transport := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	res := &loadResult{}
	shared := &sharedIDs{}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
			for ctx.Err() == nil {
				req := nextRequest(ctx, r, baseURL, shared)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						res.Failures.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				res.Latency.Record(time.Since(start))
				res.Requests.Add(1)
				switch {
				case resp.StatusCode >= 500:
					res.Status5xx.Add(1)
				case resp.StatusCode >= 400:
					res.Status4xx.Add(1)
				default:
					res.Status2xx.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return res
}

// nextRequest picks the next request of the mix.
func nextRequest(ctx context.Context, r *rand.Rand, base string, shared *sharedIDs) *http.Request {
	var method, path string
	var body []byte
	switch p := r.IntN(100); {
	case p < 30: // one user; IDs above seededUsers are absent (404)
		method, path = http.MethodGet, fmt.Sprintf("/api/v1/users/%d", 1+r.IntN(seededUsers+seededUsers/5))
	case p < 40: // batch lookup
		ids := make([]string, 2+r.IntN(23))
		for i := range ids {
			ids[i] = strconv.Itoa(1 + r.IntN(seededUsers+10))
		}
		method, path = http.MethodGet, "/api/v1/users?ids="+strings.Join(ids, ",")
	case p < 55: // payment; one in ten has a bad body
		method, path = http.MethodPost, "/api/v1/payments"
		switch r.IntN(10) {
		case 0:
			body = []byte(`{"amount": "ten", "currency": "EUR"}`)
		case 1:
			body = []byte(`{"amount": 1000, "currency": "EUR", "card_number": "4242424242424241"}`)
		default:
			body = fmt.Appendf(nil, `{"amount": %d, "currency": %q, "card_number": %q}`,
				100+r.IntN(100000), []string{"EUR", "USD", "GBP"}[r.IntN(3)], testCards[r.IntN(len(testCards))])
		}
	case p < 80:
		method, path = http.MethodGet, fmt.Sprintf("/api/v1/work?n=%d", 1+r.IntN(8))
	case p < 85:
		method, path = http.MethodGet, fmt.Sprintf("/api/v1/fail?n=%d", 1+r.IntN(5))
	default:
		method, path = http.MethodGet, "/health"
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		panic(err) // the URL is built here from constants; an error is a bug
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch p := r.IntN(100); {
	case p < 20: // no ID: the service makes one
	case p < 35: // a retry or a forwarded call: an ID seen before
		if id := shared.get(r); id != "" {
			req.Header.Set("X-Correlation-ID", id)
		}
	case p < 45: // a traced caller: the trace ID becomes the correlation ID
		var traceID [16]byte
		var spanID [8]byte
		fillRandom(r, traceID[:])
		fillRandom(r, spanID[:])
		flags := "01"
		if r.IntN(2) == 0 {
			flags = "00"
		}
		req.Header.Set("traceparent", "00-"+hex.EncodeToString(traceID[:])+"-"+hex.EncodeToString(spanID[:])+"-"+flags)
	default:
		var id [16]byte
		fillRandom(r, id[:])
		s := hex.EncodeToString(id[:])
		req.Header.Set("X-Correlation-ID", s)
		shared.put(s)
	}
	return req
}

func fillRandom(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}
