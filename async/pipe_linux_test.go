//go:build linux

package async

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

const pipeChildEnv = "SLOGSTACK_ASYNC_PIPE_CHILD"

// pipeChildResult is what the child process reports when told to stop.
type pipeChildResult struct {
	FlagsBefore, FlagsDuring, FlagsAfter int
	CloseErr                             string
	Stats                                Stats
}

func stdoutFlags() int {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(syscall.Stdout), syscall.F_GETFL, 0)
	if errno != 0 {
		return -1
	}
	return int(flags)
}

// runPipeChild logs through a Writer on its stdout while serving HTTP on
// loopback; every request logs too. GET /full answers once the Writer has
// dropped records (its stdout, a pipe nobody reads, is full and the
// queue with it); GET /stop closes the Writer and answers with a
// pipeChildResult.
func runPipeChild() {
	before := stdoutFlags()
	opts := DefaultOptions()
	opts.Capacity = 2048
	opts.StallTimeout = 0 // drop as soon as full
	w := NewWriter(os.Stdout, opts)
	logger := slog.New(slog.NewJSONHandler(w, nil))
	full := make(chan struct{})
	go func() {
		// Log until the Writer drops: then the pipe and the queue are full.
		for n := 0; w.Stats().Dropped == 0; n++ {
			logger.Info("background", "n", n)
		}
		close(full)
	}()
	var during int
	exit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/full", func(rw http.ResponseWriter, r *http.Request) {
		<-full
		io.WriteString(rw, "full")
	})
	mux.HandleFunc("/ping", func(rw http.ResponseWriter, r *http.Request) {
		during = stdoutFlags()
		for i := range 20 {
			logger.InfoContext(r.Context(), "ping", "path", r.URL.Path, "i", i)
		}
		io.WriteString(rw, "pong")
	})
	mux.HandleFunc("/stop", func(rw http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res := pipeChildResult{FlagsBefore: before, FlagsDuring: during}
		if err := w.Close(ctx); err != nil {
			res.CloseErr = err.Error()
		}
		res.FlagsAfter = stdoutFlags()
		res.Stats = w.Stats()
		json.NewEncoder(rw).Encode(res)
		close(exit)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Fprintln(os.Stderr, "ADDR", ln.Addr())
	<-exit
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	os.Exit(0)
}

// TestRealPipe re-runs the test binary as a child that logs through a
// Writer to its stdout, a pipe this test does not read until the child's
// Writer has dropped records (so both the pipe and the queue are full).
// Then the child answers 50 requests that each log 20 records, while its
// stdout is still not read: a child whose logging waited on the pipe would
// never answer (the client gives up after 10 s). Its stdout flags never
// change, and every line it accepted is either written or counted as
// dropped, as its in-band reports say.
func TestRealPipe(t *testing.T) {
	if os.Getenv(pipeChildEnv) == "1" {
		runPipeChild()
		return
	}
	leakcheck.Check(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRealPipe$")
	cmd.Env = append(os.Environ(), pipeChildEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	errLines := bufio.NewScanner(stderr)
	var addr string
	for errLines.Scan() {
		if a, ok := strings.CutPrefix(errLines.Text(), "ADDR "); ok {
			addr = a
			break
		}
		t.Logf("child: %s", errLines.Text())
	}
	if addr == "" {
		t.Fatal("child did not report its address")
	}
	go io.Copy(io.Discard, stderr)

	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(path string) []byte {
		t.Helper()
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return body
	}

	// Not reading stdout: the child fills the pipe and then its queue.
	get("/full")
	for range 50 {
		get("/ping")
	}
	type readResult struct {
		data []byte
		err  error
	}
	read := make(chan readResult, 1)
	go func() {
		data, err := io.ReadAll(stdout)
		read <- readResult{data, err}
	}()
	body := get("/stop")
	out := <-read
	if out.err != nil {
		t.Fatalf("reading child stdout: %v", out.err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}

	var res pipeChildResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("child result %q: %v", body, err)
	}
	t.Logf("child stats %+v", res.Stats)
	if res.FlagsBefore < 0 || res.FlagsBefore != res.FlagsDuring || res.FlagsBefore != res.FlagsAfter || res.FlagsAfter&syscall.O_NONBLOCK != 0 {
		t.Errorf("child stdout flags before %#x, during %#x, after %#x", res.FlagsBefore, res.FlagsDuring, res.FlagsAfter)
	}
	if res.CloseErr != "" {
		t.Errorf("child Close: %s", res.CloseErr)
	}
	st := res.Stats
	if st.Dropped == 0 || st.Written+st.Dropped != st.Accepted || st.Reported != st.Dropped {
		t.Errorf("child stats: %+v", st)
	}
	var records, reports, reported uint64
	for line := range strings.Lines(string(out.data)) {
		var m struct {
			Msg     string
			Dropped uint64
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if m.Msg == dropReportMessage {
			reports++
			reported += m.Dropped
		} else {
			records++
		}
	}
	if records != st.Written || reports != st.Reports || reported != st.Dropped {
		t.Errorf("stdout had %d records and %d reports announcing %d drops; child stats %+v", records, reports, reported, st)
	}
}
