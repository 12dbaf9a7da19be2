package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The paths the load calls. Work and fail are chained through every
// service; a lookup is served by the first one alone.
const (
	workPath   = "/api/v1/work"
	failPath   = "/api/v1/fail"
	lookupPath = "/api/v1/users"
)

// Each lookup reads lookupSize users, from 1 to lookupUsers: the service
// seeds 100, so a few of them are absent (the lookup still answers 200).
// Each read logs the connection pool at DEBUG with the request's
// correlation ID: the aggregation passes the first few of a request and
// folds the rest.
const (
	lookupSize  = 20
	lookupUsers = 110
)

// request is one request of the load and what came back.
type request struct {
	id      string        // its X-Correlation-ID
	path    string        // workPath, failPath or lookupPath
	query   string        // the URL's query, without "?"
	sent    time.Time     // when it was sent
	latency time.Duration // until its answer was read to the end
	status  int           // the answer's status; 0 without an answer
	err     error         // no answer
}

// wantStatus is the status the request's path answers in a healthy fleet.
func (r *request) wantStatus() int {
	if r.path == failPath {
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

// reach is how many of the fleet's n services the request reaches: a
// lookup the first one only, the chained paths every one.
func (r *request) reach(n int) int {
	if r.path == lookupPath {
		return min(n, 1)
	}
	return n
}

// loadPlan is the load: rate requests a second for duration, at most
// clients at once, each work or fail request with n steps; every
// failEvery-th is failPath, and every headEvery-th that is not is
// lookupPath (none when headEvery is 0).
type loadPlan struct {
	base      string // the head service's base URL
	rate      float64
	duration  time.Duration
	clients   int
	steps     int
	failEvery int
	headEvery int
}

// request returns the plan's i-th request, with the correlation ID id.
func (p loadPlan) request(i int, id string) *request {
	switch {
	case i%p.failEvery == p.failEvery-1:
		return &request{id: id, path: failPath, query: fmt.Sprintf("n=%d", p.steps)}
	case p.headEvery > 0 && i%p.headEvery == p.headEvery-1:
		ids := make([]string, lookupSize)
		for j := range ids {
			ids[j] = strconv.Itoa(1 + (i*lookupSize+j)%lookupUsers)
		}
		return &request{id: id, path: lookupPath, query: "ids=" + strings.Join(ids, ",")}
	}
	return &request{id: id, path: workPath, query: fmt.Sprintf("n=%d", p.steps)}
}

// newRunID returns a random prefix for the correlation IDs of one run, so
// that runs never share an ID.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runLoad sends the plan's requests, paced: request i is due at start +
// i/rate, and is sent then, or as soon as one of the clients is free. A
// request that finds no client free by the load's end is not sent: the
// load never outlasts its duration by more than the answers it waits for
// (each bounded by the client's timeout), even when the fleet stalls. It
// returns once every request sent has its answer (or error), in the order
// they were due, and how many were not sent for want of a free client.
// ctx ends the load early (the requests not yet due are then not
// counted).
func runLoad(ctx context.Context, client *http.Client, plan loadPlan, runID string) (requests []*request, unsent int) {
	total := int(plan.rate * plan.duration.Seconds())
	interval := time.Duration(float64(time.Second) / plan.rate)
	due := make(chan *request, plan.clients)
	var wg sync.WaitGroup
	for range plan.clients {
		wg.Go(func() {
			for r := range due {
				r.send(ctx, client, plan.base)
			}
		})
	}
	requests = make([]*request, 0, total)
	start := time.Now()
	end := time.NewTimer(plan.duration)
	defer end.Stop()
	timer := time.NewTimer(0)
	defer timer.Stop()
pacing:
	for i := range total {
		timer.Reset(time.Until(start.Add(time.Duration(i) * interval)))
		select {
		case <-ctx.Done():
			break pacing
		case <-timer.C:
		}
		r := plan.request(i, fmt.Sprintf("fleet-%s-%06d", runID, i))
		select {
		case due <- r: // a client is free: never lost to the load's end
			requests = append(requests, r)
			continue
		default:
		}
		select {
		case due <- r:
			requests = append(requests, r)
		case <-ctx.Done():
			break pacing
		case <-end.C:
			// Every client still waits for an answer at the load's end.
			unsent = total - i
			break pacing
		}
	}
	close(due)
	wg.Wait()
	return requests, unsent
}

// send sends the request and records its outcome.
func (r *request) send(ctx context.Context, client *http.Client, base string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+r.path+"?"+r.query, nil)
	if err != nil {
		r.err = err
		return
	}
	req.Header.Set("X-Correlation-ID", r.id)
	r.sent = time.Now()
	resp, err := client.Do(req)
	if err != nil {
		r.latency, r.err = time.Since(r.sent), err
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.latency, r.status, r.err = time.Since(r.sent), resp.StatusCode, err
}
