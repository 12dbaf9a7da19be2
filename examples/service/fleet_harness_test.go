package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one instance of the service run as a real process: the test
// binary, which go test builds once, re-executed as the service (TestMain
// runs main when childEnv is set). Its log (-log -) is its standard
// output; its standard error has the addresses it listens on and, after
// it stops, its report.
type proc struct {
	name   string
	url    string // the service's base URL
	admin  string // the admin listener's base URL; "" without -admin-addr
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *addrWriter
	exited chan error // receives cmd.Wait's result once
	done   bool       // the process has exited and been waited for
	err    error      // what cmd.Wait returned
}

var adminRE = regexp.MustCompile(`admin on (http://\S+)`)

// childBaseEnv is the test's environment without LOG_* variables or the
// child marker, so that each instance gets exactly the LOG_* it is given.
func childBaseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(name), "LOG_") || strings.HasPrefix(name, childEnv) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// startProc starts one instance on a free loopback port, with env (LOG_*
// variables, NAME=value) and args after the harness's own (-addr
// 127.0.0.1:0 -log - -db FILE), and waits until it listens. The instance
// is stopped, if still running, when the test ends.
func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	own := []string{"-addr", "127.0.0.1:0", "-log", "-", "-db", filepath.Join(t.TempDir(), name+".db")}
	if slices.Contains(args, "-otlp-endpoint") {
		own = slices.Delete(own, 2, 4) // the records go to the collector, not to -log
	}
	args = append(own, args...)
	for _, a := range args {
		if strings.ContainsAny(a, " \t\n") {
			t.Fatalf("argument %q: the child's arguments are passed space-separated", a)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(childBaseEnv(), childEnv+"=1", childEnv+"_ARGS="+strings.Join(args, " "))
	cmd.Env = append(cmd.Env, env...)
	p := &proc{name: name, cmd: cmd, stdout: &syncBuffer{}, stderr: &addrWriter{addr: make(chan string, 1)}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	select {
	case p.url = <-p.stderr.addr:
	case err := <-p.exited:
		p.done, p.err = true, err
		t.Fatalf("%s did not start: %v\n%s", name, err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start within 60s:\n%s", name, p.stderr.String())
	}
	// The admin line is written before the listening line.
	if m := adminRE.FindStringSubmatch(p.stderr.String()); m != nil {
		p.admin = m[1]
	}
	return p
}

// startChain starts n instances with env, each one's -downstream the next
// one, the last first; chain[0] is the one clients call.
func startChain(t *testing.T, n int, env []string, args ...string) []*proc {
	t.Helper()
	chain := make([]*proc, n)
	for i := n - 1; i >= 0; i-- {
		a := append([]string(nil), args...)
		if i < n-1 {
			a = append(a, "-downstream", chain[i+1].url)
		}
		chain[i] = startProc(t, fmt.Sprintf("instance-%d", i), env, a...)
	}
	return chain
}

// stop shuts the instance down gracefully with SIGTERM, as an orchestrator
// does, and waits for it: every record it accepted is then in its output
// and its report in its standard error. A non-zero exit fails the test.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.done {
		return
	}
	if err := p.terminate(t); err != nil {
		t.Errorf("%s exited with %v:\n%s", p.name, err, p.stderr.String())
	}
}

// terminate sends SIGTERM, waits for the instance to exit and returns
// what it exited with (an *exec.ExitError for a non-zero status).
func (p *proc) terminate(t *testing.T) error {
	t.Helper()
	if p.done {
		return p.err
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	select {
	case p.err = <-p.exited:
		p.done = true
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("%s did not exit within 60s of SIGTERM:\n%s", p.name, p.stderr.String())
	}
	return p.err
}

// kill ends the instance at once if it still runs (a test that failed
// before stopping it).
func (p *proc) kill() {
	if p.done {
		return
	}
	_ = p.cmd.Process.Kill()
	p.err = <-p.exited
	p.done = true
}

// stopAll stops the instances in order: a chain from its head, so that no
// instance is asked for anything after it stopped.
func stopAll(t *testing.T, procs []*proc) {
	t.Helper()
	for _, p := range procs {
		p.stop(t)
	}
}

// records decodes the instance's log, grouped by correlation ID; call it
// after stop.
func (p *proc) records(t *testing.T) (all []logLine, byID map[string][]logLine) {
	t.Helper()
	all = parseLines(t, p.stdout.String())
	return all, byCorrelationID(all)
}

// reportRows returns the numbers of the report the instance printed to
// its standard error when it stopped, by row name, and whether the report
// accounted for every record.
func (p *proc) reportRows(t *testing.T) (map[string]int, bool) {
	t.Helper()
	rows := map[string]int{}
	for _, m := range reportRow.FindAllStringSubmatch(p.stderr.String(), -1) {
		rows[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(rows) != 5 {
		t.Fatalf("%s: report rows %v not found in its standard error:\n%s", p.name, rows, p.stderr.String())
	}
	return rows, regexp.MustCompile(`(?m)^accounted for\s+ok\s`).MatchString(p.stderr.String())
}

// checkAccounted checks an instance's report: every record it logged is
// written or counted, and it wrote exactly the lines its output has.
func (p *proc) checkAccounted(t *testing.T, lines int) {
	t.Helper()
	rows, ok := p.reportRows(t)
	if !ok {
		t.Errorf("%s: the report does not account for every record:\n%s", p.name, p.stderr.String())
	}
	if rows["records written"] != lines {
		t.Errorf("%s: the report says %d records written, the output has %d lines", p.name, rows["records written"], lines)
	}
}

// fleetClient is an HTTP client for the tests' requests to the instances;
// its idle connections are closed when the test ends.
func fleetClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// call is one request of a test and what came back.
type call struct {
	id      string      // X-Correlation-ID sent ("" sends none)
	method  string      // GET unless set
	url     string      // the whole URL
	header  http.Header // more request headers
	body    string
	want    int    // the status expected; 0 checks none
	status  int    // the response's status
	sampled string // the response's X-Log-Sampled
	err     error  // no response
}

// send sends c and fills in its outcome.
func (c *call) send(client *http.Client) {
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, c.url, strings.NewReader(c.body))
	if err != nil {
		c.err = err
		return
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if c.id != "" {
		req.Header.Set("X-Correlation-ID", c.id)
	}
	resp, err := client.Do(req)
	if err != nil {
		c.err = err
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	c.status, c.sampled = resp.StatusCode, resp.Header.Get("X-Log-Sampled")
}

// sendAll sends the calls from workers concurrent clients and fails the
// test on a call that got no response or not the status it wants.
func sendAll(t *testing.T, client *http.Client, workers int, calls []*call) {
	t.Helper()
	next := make(chan *call)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range next {
				c.send(client)
			}
		})
	}
	for _, c := range calls {
		next <- c
	}
	close(next)
	wg.Wait()
	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("%s (%s): %v", c.url, c.id, c.err)
		}
		if c.want != 0 && c.status != c.want {
			t.Fatalf("%s (%s): status %d, want %d", c.url, c.id, c.status, c.want)
		}
	}
}

// getJSON decodes the JSON answer of GET url into v.
func getJSON(t *testing.T, client *http.Client, url string, v any) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
}

// put sends PUT url with body and returns the status and the answer.
func put(t *testing.T, client *http.Client, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}
