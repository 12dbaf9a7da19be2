package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slogstack/slogstack/httpctx"
)

// downstream is the next instance of a chain (-downstream): /api/v1/work
// and /api/v1/fail call the same path and query on it. Its client sends
// through httpctx.Transport, so the called instance logs under the same
// correlation ID, continues the trace, and, deciding by the same ID, keeps
// or drops the request as this one did (and is forced when this one was).
type downstream struct {
	base   string // scheme://host[:port][/prefix], without a trailing slash
	client *http.Client
}

// downstreamTimeout bounds one call to the next instance.
const downstreamTimeout = 30 * time.Second

// chainDepthHeader carries, on each call to the next instance, how many
// calls of the chain came before it (1 on the first instance's call). An
// instance with a downstream refuses a request at maxChainDepth with 508
// Loop Detected instead of calling on, so -downstream pointing back into
// the chain (at the instance itself, or at an earlier one) costs
// maxChainDepth+1 requests rather than calls without end, each holding a
// connection and a goroutine until the first times out.
const (
	chainDepthHeader = "X-Chain-Depth"
	maxChainDepth    = 16
)

// chainDepth returns the depth r arrived with (0 without the header), and
// false when the header is not a decimal number in [0, maxChainDepth).
func chainDepth(r *http.Request) (int, bool) {
	v := r.Header.Get(chainDepthHeader)
	if v == "" {
		return 0, true
	}
	depth, err := strconv.Atoi(v)
	return depth, err == nil && depth >= 0 && depth < maxChainDepth
}

// checkDownstream accepts "" (no downstream) or an absolute http or https
// URL with a host and neither query nor fragment.
func checkDownstream(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("-downstream %q: want an http or https URL such as http://127.0.0.1:8081, without query", raw)
	}
	return nil
}

// newDownstream returns the client of the instance at base (checked by
// checkDownstream), or nil when base is "".
func newDownstream(base string) *downstream {
	if base == "" {
		return nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &downstream{
		base:   strings.TrimSuffix(base, "/"),
		client: &http.Client{Transport: httpctx.Transport(t), Timeout: downstreamTimeout},
	}
}

// call sends GET path?query to the next instance with ctx (the request's
// context, whose scope the transport passes on) and the depth of this
// call in the chain, and returns its status. An error means no response
// came back.
func (d *downstream) call(ctx context.Context, path, rawQuery string, depth int) (int, error) {
	target := d.base + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set(chainDepthHeader, strconv.Itoa(depth))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// close closes the client's idle connections.
func (d *downstream) close() {
	if d != nil {
		d.client.CloseIdleConnections()
	}
}
