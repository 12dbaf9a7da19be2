package slogstack_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/sampling"
)

// The README's usage program is built and run as a user would run it. The
// one substitution: its listen address, readmeAddr, becomes a free loopback
// port, so that the test runs beside anything listening on 8080.
const readmeAddr = `"localhost:8080"`

// readmeOutputMarker precedes each block of output the README shows; what
// follows the colon is the name of the run that printed it.
var readmeOutputMarker = regexp.MustCompile("(?m)^<!-- readme-output: ([a-z]+) -->\n```[a-z]*\n((?s:.*?))```\n")

// readmeRun is one way the README runs its program: the environment, and
// the requests its shown output was printed for (the paths of the README's
// curl commands, in order).
type readmeRun struct {
	name    string
	env     []string
	paths   []string
	sampled bool // whether the README's requests are sampled
}

var readmeRuns = []readmeRun{
	{name: "development", env: []string{"LOG_PRESET=development"}, paths: []string{"/orders/42", "/orders/7"}, sampled: true},
	{name: "production", env: nil, paths: []string{"/orders/42", "/orders/7", "/orders/9"}},
}

func readREADME(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readmeProgram returns the README's ```go block that is a whole program.
func readmeProgram(t *testing.T, readme string) string {
	t.Helper()
	blocks := regexp.MustCompile("(?ms)^```go\n(package main\n.*?)^```").FindAllStringSubmatch(readme, -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d ```go blocks starting with \"package main\", want 1", len(blocks))
	}
	return blocks[0][1]
}

// buildReadmeProgram writes the program, with its address replaced, into a
// directory of this module whose name starts with "_" (so ./... ignores it;
// removed at the end of the test) and builds it.
func buildReadmeProgram(t *testing.T, program, addr string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot build the README's program")
	}
	if n := strings.Count(program, readmeAddr); n != 1 {
		t.Fatalf("the README's program names %s %d times, want once", readmeAddr, n)
	}
	program = strings.Replace(program, readmeAddr, strconv.Quote(addr), 1)
	dir, err := os.MkdirTemp(".", "_readme")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "readme")
	cmd := exec.Command("go", "build", "-o", bin, "./"+filepath.Base(dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the README's program: %v\n%s", err, out)
	}
	return bin
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// readmeProcess is the README's program running as a child process.
type readmeProcess struct {
	cmd       *exec.Cmd
	mu        sync.Mutex
	lines     []string
	listening chan struct{} // closed at the first line that says "listening"
	reading   chan struct{} // closed (by readOn) when the test reads on after the startup record
	readOnce  sync.Once
	done      chan struct{} // closed when standard output is at its end
}

func startReadmeProgram(t *testing.T, bin string, env []string) *readmeProcess {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(readmeBaseEnv(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &readmeProcess{cmd: cmd, listening: make(chan struct{}), reading: make(chan struct{}), done: make(chan struct{})}
	t.Cleanup(func() { p.readOn(); _ = cmd.Process.Kill(); <-p.done; _ = cmd.Wait() })
	go p.read(stdout)
	return p
}

// readmeBaseEnv is the test's environment without any LOG_* variable, so
// the runs see exactly the variables each one sets.
func readmeBaseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LOG_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *readmeProcess) read(r io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	announced := false
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
		if !announced && (strings.Contains(sc.Text(), `"msg":"listening"`) || strings.Contains(sc.Text(), "msg=listening")) {
			announced = true
			close(p.listening)
			// Stop reading until the test says: the pipe fills, the
			// program's writes block, and its records wait in the queue
			// that the shutdown must drain.
			<-p.reading
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// readOn lets the reader go on after the startup record.
func (p *readmeProcess) readOn() { p.readOnce.Do(func() { close(p.reading) }) }

// waitListening waits for the startup record: the program writes it once
// its listener is open.
func (p *readmeProcess) waitListening(t *testing.T) {
	t.Helper()
	select {
	case <-p.listening:
	case <-p.done:
		t.Fatalf("the program ended without a startup record; it printed:\n%s", strings.Join(p.lines, "\n"))
	}
}

// interrupt sends SIGINT, as Ctrl-C does.
func (p *readmeProcess) interrupt(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
}

// wait reads on to the end of the output and returns the exit code and
// every line printed.
func (p *readmeProcess) wait(t *testing.T) (int, []string) {
	t.Helper()
	p.readOn()
	<-p.done
	err := p.cmd.Wait()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return code, append([]string(nil), p.lines...)
}

// readmeGet sends one request with a correlation ID and reports whether the
// stack sampled it (X-Log-Sampled).
func readmeGet(t *testing.T, addr, path, correlationID string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Correlation-ID", correlationID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("GET %s: %d %q, want 200 \"ok\\n\"", path, resp.StatusCode, body)
	}
	sampled, err := strconv.ParseBool(resp.Header.Get("X-Log-Sampled"))
	if err != nil {
		t.Fatalf("GET %s: X-Log-Sampled %q: %v", path, resp.Header.Get("X-Log-Sampled"), err)
	}
	return sampled
}

// readmeAnsweredBeforeSignal requests are answered before Ctrl-C: their
// records (some 300 bytes each, two per request) are more than a pipe
// holds (64 KiB on Linux), so, while the test does not read, some of them
// are still in the program's queue when the signal comes.
const readmeAnsweredBeforeSignal = 250

// loadUntilStopped sends the requests with the given correlation IDs from
// four clients, and returns once readmeAnsweredBeforeSignal were answered; the clients go
// on until the server stops answering. The function it returns waits for
// them and returns the IDs of the requests answered 200.
func loadUntilStopped(t *testing.T, addr string, ids []string) func() []string {
	t.Helper()
	var (
		mu       sync.Mutex
		answered []string
		wg       sync.WaitGroup
		next     = make(chan string, len(ids))
		enough   = make(chan struct{})
		once     sync.Once
	)
	for _, id := range ids {
		next <- id
	}
	close(next)
	client := &http.Client{}
	for range 4 {
		wg.Go(func() {
			for id := range next {
				req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/orders/1", nil)
				req.Header.Set("X-Correlation-ID", id)
				resp, err := client.Do(req)
				if err != nil {
					continue // the server has stopped
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					continue
				}
				mu.Lock()
				answered = append(answered, id)
				if len(answered) >= readmeAnsweredBeforeSignal {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
			once.Do(func() { close(enough) })
		})
	}
	<-enough
	return func() []string {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return answered
	}
}

// correlationIDs returns n IDs, "readme-<i>", that sampling.Decide samples
// (or not) at the default rate: the test knows which requests the
// production run must write.
func correlationIDs(n int, sampled bool, rate float64) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("readme-%d", i)
		if sampling.Decide(id, rate) == sampled {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestReadmeProgram builds the README's program, runs it with the
// development preset and with the defaults, sends it the README's requests
// and Ctrl-C, and checks that it exits 0 having printed the startup record
// and every record of every sampled request (the shutdown drained the
// queue), and that the output the README shows has the shape of the real
// output.
func TestReadmeProgram(t *testing.T) {
	readme := readREADME(t)
	program := readmeProgram(t, readme)
	addr := freeLoopbackAddr(t)
	bin := buildReadmeProgram(t, program, addr)

	shown := map[string]string{}
	for _, m := range readmeOutputMarker.FindAllStringSubmatch(readme, -1) {
		shown[m[1]] = m[2]
	}
	rate := sampling.DefaultPolicy().Rate

	for _, run := range readmeRuns {
		t.Run(run.name, func(t *testing.T) {
			want, ok := shown[run.name]
			if !ok {
				t.Fatalf("README.md shows no output of the %s run (<!-- readme-output: %s --> before a fenced block)", run.name, run.name)
			}
			p := startReadmeProgram(t, bin, run.env)
			p.waitListening(t)
			t.Cleanup(func() {
				select {
				case <-p.reading:
				default:
					p.readOn()
				}
			})

			// The README's requests first, as the README's run sent them;
			// at the default rate with IDs that are not sampled, so that
			// the run is the README's "the first requests show nothing".
			shownIDs := correlationIDs(len(run.paths), false, rate)
			for i, path := range run.paths {
				if got := readmeGet(t, addr, path, shownIDs[i]); got != run.sampled {
					t.Errorf("GET %s: X-Log-Sampled %v, want %v", path, got, run.sampled)
				}
			}
			// Then requests the README does not show, sampled at the
			// default rate, from four clients, with Ctrl-C sent while they
			// are in flight: every request answered must have all its
			// records in the output (the shutdown drained the queue).
			answered := loadUntilStopped(t, addr, correlationIDs(600, true, rate))
			p.interrupt(t)
			// The output is read on only once the server refuses every
			// client: a program that exited then without draining its
			// queue has lost what the full pipe held back.
			extraIDs := answered()
			code, lines := p.wait(t)
			if code != 0 {
				t.Fatalf("exit code %d after SIGINT, want 0; output:\n%s", code, strings.Join(lines, "\n"))
			}
			if len(extraIDs) < readmeAnsweredBeforeSignal {
				t.Fatalf("only %d requests answered before the shutdown, want at least %d", len(extraIDs), readmeAnsweredBeforeSignal)
			}
			records := parseRecords(t, lines)

			// Every record of every sampled request reached the output.
			extra := map[string]bool{}
			for _, id := range extraIDs {
				extra[id] = true
				if got := countByID(records, id); !cmp.Equal(got, []string{"order loaded", "request completed"}) {
					t.Errorf("records of the sampled request %s: %q, want [order loaded request completed]", id, got)
				}
			}

			// The README's shown output has the shape of this run's
			// output, the records of the requests it does not show left
			// out.
			var real []record
			for _, r := range records {
				if !extra[r.correlationID] {
					real = append(real, r)
				}
			}
			shownRecords := parseRecords(t, strings.Split(strings.TrimSpace(want), "\n"))
			if diff := cmp.Diff(shapes(shownRecords), shapes(real)); diff != "" {
				t.Errorf("the README's %s output is not what the program prints (-README +real):\n%s\nreal output:\n%s", run.name, diff, strings.Join(lines, "\n"))
			}
			if run.name == "development" && len(real) != 2+2*len(run.paths) {
				t.Errorf("development run: %d records besides the extra requests', want %d (startup, each request's record and access record, shutdown)", len(real), 2+2*len(run.paths))
			}
			if len(real) < 2 || real[0].msg != "listening" || real[len(real)-1].msg != "shutting down" {
				t.Errorf("the run does not begin with the startup record and end with the shutdown record: %v", shapes(real))
			}
		})
	}
}

func countByID(records []record, id string) []string {
	var msgs []string
	for _, r := range records {
		if r.correlationID == id {
			msgs = append(msgs, r.msg)
		}
	}
	return msgs
}

// record is one printed line: its level, message, correlation ID and its
// keys in order (nested keys dotted, as slog.TextHandler prints them).
type record struct {
	level, msg, correlationID string
	keys                      []string
}

// shape is what a shown line must have in common with a real one: the
// values are left out, except the level and the message.
func shapes(rs []record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.level+" "+r.msg+" "+strings.Join(r.keys, ","))
	}
	return out
}

func parseRecords(t *testing.T, lines []string) []record {
	t.Helper()
	var rs []record
	for _, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var kvs [][2]string
		var err error
		if strings.HasPrefix(line, "{") {
			kvs, err = jsonKeyValues(line)
		} else {
			kvs, err = textKeyValues(line)
		}
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		var r record
		for _, kv := range kvs {
			switch kv[0] {
			case "level":
				r.level = kv[1]
			case "msg":
				r.msg = kv[1]
			case "correlation_id":
				r.correlationID = kv[1]
			}
			r.keys = append(r.keys, kv[0])
		}
		rs = append(rs, r)
	}
	return rs
}

// jsonKeyValues returns the keys of a JSON object in order, nested ones
// dotted, with their values as text.
func jsonKeyValues(line string) ([][2]string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("want an object: %v %v", tok, err)
	}
	var out [][2]string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if bytes.HasPrefix(raw, []byte("{")) {
			sub, err := jsonKeyValues(string(raw))
			if err != nil {
				return nil, err
			}
			for _, kv := range sub {
				out = append(out, [2]string{key + "." + kv[0], kv[1]})
			}
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		out = append(out, [2]string{key, s})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// textKeyValues splits a slog.TextHandler line into its key=value pairs:
// a value is either quoted (Go syntax) or runs to the next space.
func textKeyValues(line string) ([][2]string, error) {
	var out [][2]string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimLeft(line, " ") {
		eq := strings.IndexByte(line, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("no key=value at %q", line)
		}
		key, rest := line[:eq], line[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("key %s: %v", key, err)
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		out = append(out, [2]string{key, val})
		line = rest
	}
	return out, nil
}
