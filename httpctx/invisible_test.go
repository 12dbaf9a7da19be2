package httpctx

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
)

// The property "the middleware is invisible to the client": for random
// handlers, the status, headers, body, informational responses, the moment
// the header is sent, and what each call returns to the handler are the
// same with and without the middleware (its own two headers aside).

// handlerOp is one step of a random handler; it appends what it observed
// to the trace.
type handlerOp func(w http.ResponseWriter, r *http.Request, trace *[]string)

// failingReader yields data in chunks of up to chunk bytes, then err (nil
// means io.EOF). It is not an io.WriterTo, so io.Copy calls ReadFrom.
type failingReader struct {
	data  []byte
	chunk int
	err   error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		if f.err == nil {
			return 0, io.EOF
		}
		return 0, f.err
	}
	n := copy(p[:min(len(p), f.chunk)], f.data)
	f.data = f.data[n:]
	return n, nil
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// randomOps returns the steps of a random handler, the last one
// sometimes a panic (with http.ErrAbortHandler or another value), and
// whether it panics.
func randomOps(rng *rand.Rand) ([]handlerOp, bool) {
	var ops []handlerOp
	codes := []int{103, 200, 201, 204, 304, 404, 500, 503}
	for i := range 1 + rng.IntN(8) {
		switch rng.IntN(9) {
		case 0:
			k, v := fmt.Sprintf("X-H%d", rng.IntN(3)), fmt.Sprintf("v%d", i)
			if rng.IntN(3) == 0 {
				k, v = "Content-Type", []string{"text/plain", "application/json"}[rng.IntN(2)]
			}
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, _ *[]string) { w.Header().Set(k, v) })
		case 1:
			code := codes[rng.IntN(len(codes))]
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, _ *[]string) { w.WriteHeader(code) })
		case 2:
			p := []byte(strings.Repeat(string(rune('a'+i)), 1+rng.IntN(700)))
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, tr *[]string) {
				n, err := w.Write(p)
				*tr = append(*tr, fmt.Sprintf("write %d %s", n, errString(err)))
			})
		case 3:
			s := strings.Repeat("s", 1+rng.IntN(50))
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, tr *[]string) {
				n, err := io.WriteString(w, s)
				*tr = append(*tr, fmt.Sprintf("writestring %d %s", n, errString(err)))
			})
		case 4, 5:
			size, chunk := rng.IntN(1200), 1+rng.IntN(300)
			var fail error
			if rng.IntN(2) == 0 {
				fail = errors.New("upstream failed")
			}
			viaReadFrom := rng.IntN(2) == 0
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, tr *[]string) {
				src := &failingReader{data: []byte(strings.Repeat("c", size)), chunk: chunk, err: fail}
				var n int64
				var err error
				if rf, ok := w.(io.ReaderFrom); ok && viaReadFrom {
					n, err = rf.ReadFrom(src)
				} else {
					n, err = io.Copy(w, src)
				}
				*tr = append(*tr, fmt.Sprintf("copy %d %s", n, errString(err)))
			})
		case 6:
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, tr *[]string) {
				f, ok := w.(http.Flusher)
				if ok {
					f.Flush()
				}
				*tr = append(*tr, fmt.Sprintf("flusher %v", ok))
			})
		case 7:
			ops = append(ops, func(w http.ResponseWriter, _ *http.Request, tr *[]string) {
				*tr = append(*tr, "controller flush "+errString(http.NewResponseController(w).Flush()))
			})
		case 8:
			limit := int64(rng.IntN(20))
			ops = append(ops, func(_ http.ResponseWriter, r *http.Request, tr *[]string) {
				b, err := io.ReadAll(io.LimitReader(r.Body, limit))
				*tr = append(*tr, fmt.Sprintf("read body %q %s", b, errString(err)))
			})
		}
	}
	switch rng.IntN(6) {
	case 0:
		return append(ops, func(http.ResponseWriter, *http.Request, *[]string) { panic(http.ErrAbortHandler) }), true
	case 1:
		return append(ops, func(http.ResponseWriter, *http.Request, *[]string) { panic("handler failed") }), true
	}
	return ops, false
}

// opsHandler runs ops, marking each in the trace.
func opsHandler(ops []handlerOp, trace *[]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, op := range ops {
			*trace = append(*trace, fmt.Sprintf("op %d", i))
			op(w, r, trace)
		}
	})
}

// headerLine renders h without the middleware's own headers.
func headerLine(h http.Header) string {
	var kv []string
	for k, vs := range h {
		if k == headerCorrelationID || k == headerLogSampled || k == "Date" {
			continue
		}
		kv = append(kv, k+"="+strings.Join(vs, ","))
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}

// probeWriter stands for the connection: it records when the header is
// sent (explicitly, or by the first Write or Flush) and with what, 1xx
// responses, and the bytes written, into the trace. It has the optional
// interfaces of httptest.ResponseRecorder (Flush and WriteString).
type probeWriter struct {
	rec   *httptest.ResponseRecorder
	trace *[]string
	sent  bool
}

func (p *probeWriter) Header() http.Header { return p.rec.Header() }

func (p *probeWriter) send(code int) {
	if !p.sent {
		p.sent = true
		*p.trace = append(*p.trace, fmt.Sprintf("SENT %d [%s]", code, headerLine(p.rec.Header())))
	}
}

func (p *probeWriter) WriteHeader(code int) {
	if code >= 100 && code <= 199 && code != 101 && !p.sent {
		*p.trace = append(*p.trace, fmt.Sprintf("SENT 1xx %d [%s]", code, headerLine(p.rec.Header())))
	} else {
		p.send(code)
	}
	p.rec.WriteHeader(code)
}

func (p *probeWriter) Write(b []byte) (int, error) {
	p.send(http.StatusOK)
	*p.trace = append(*p.trace, fmt.Sprintf("BYTES %d", len(b)))
	return p.rec.Write(b)
}

func (p *probeWriter) WriteString(s string) (int, error) { return p.Write([]byte(s)) }

func (p *probeWriter) Flush() {
	p.send(http.StatusOK)
	*p.trace = append(*p.trace, "FLUSH")
	p.rec.Flush()
}

// mergeBytes joins consecutive BYTES events: how a copy is cut into
// writes is not visible to the client, which bytes each step wrote is.
func mergeBytes(trace []string) []string {
	var out []string
	for _, e := range trace {
		var n, m int
		if _, err := fmt.Sscanf(e, "BYTES %d", &n); err == nil && len(out) > 0 {
			if _, err := fmt.Sscanf(out[len(out)-1], "BYTES %d", &m); err == nil {
				out[len(out)-1] = fmt.Sprintf("BYTES %d", n+m)
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

type recorderRun struct {
	Trace     []string
	Code      int
	Header    string
	Body      string
	Recovered string
}

func runRecorder(ops []handlerOp, wrap func(http.Handler) http.Handler) recorderRun {
	var trace []string
	rec := httptest.NewRecorder()
	probe := &probeWriter{rec: rec, trace: &trace}
	h := opsHandler(ops, &trace)
	if wrap != nil {
		h = wrap(h)
	}
	var out recorderRun
	func() {
		defer func() {
			if p := recover(); p != nil {
				out.Recovered = fmt.Sprint(p)
			}
		}()
		h.ServeHTTP(probe, httptest.NewRequest("POST", "/x", strings.NewReader("request body of the test")))
		probe.send(http.StatusOK) // what net/http does for a handler that wrote nothing
	}()
	out.Trace = mergeBytes(trace)
	out.Code, out.Header, out.Body = rec.Code, headerLine(rec.Result().Header), rec.Body.String()
	return out
}

// invisibleOptions are the middleware configurations the property is
// checked under: sampled or not, with and without body capture.
func invisibleOptions(rng *rand.Rand) Options {
	opts := withDefaults(Options{Logger: slog.New(logtest.Nop{}), Policy: testPolicy})
	if rng.IntN(2) == 0 {
		opts.Body = BodyOptions{Request: true, Response: true, MaxBytes: 1 + rng.IntN(1000)}
	}
	return opts
}

func TestMiddlewareInvisibleRecorder(t *testing.T) {
	for seed := range uint64(600) {
		rng := rand.New(rand.NewPCG(seed, 2))
		ops, _ := randomOps(rng)
		opts := invisibleOptions(rng)
		want := runRecorder(ops, nil)
		got := runRecorder(ops, Middleware(opts))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d (body capture %+v): with the middleware (-without +with):\n%s", seed, opts.Body, diff)
		}
	}
}

type serverRun struct {
	Trace     []string // the handler's steps and what they returned
	Got1xx    []int
	Status    int
	Header    string
	Body      string
	ClientErr bool
}

func runServer(t *testing.T, ops []handlerOp, wrap func(http.Handler) http.Handler) serverRun {
	var out serverRun
	h := opsHandler(ops, &out.Trace)
	if wrap != nil {
		h = wrap(h)
	}
	srv := quietServer(h)
	ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			out.Got1xx = append(out.Got1xx, code)
			return nil
		},
	})
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/x", strings.NewReader("request body of the test"))
	resp, err := srv.Client().Do(req)
	if err != nil {
		out.ClientErr = true
	} else {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		out.Status, out.Header, out.Body, out.ClientErr = resp.StatusCode, headerLine(resp.Header), string(b), err != nil
	}
	srv.Client().CloseIdleConnections()
	srv.Close() // waits for the handler: its trace is complete
	return out
}

func TestMiddlewareInvisibleServer(t *testing.T) {
	seeds := uint64(80)
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 3))
		ops, _ := randomOps(rng)
		opts := invisibleOptions(rng)
		want := runServer(t, ops, nil)
		got := runServer(t, ops, Middleware(opts))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d (body capture %+v): with the middleware (-without +with):\n%s", seed, opts.Body, diff)
		}
	}
}

// The same property with Options.Recover: a handler that panics is seen by
// the client as without the middleware when the panic comes after the
// header was written (the response is aborted: the panic reaches net/http
// as http.ErrAbortHandler), and as the same handler ending with a 500
// (http.Error) instead of the panic when it comes before.

// recoverOps returns random steps that end with a panic that is not an
// abort.
func recoverOps(rng *rand.Rand) []handlerOp {
	ops, panics := randomOps(rng)
	if panics {
		ops = ops[:len(ops)-1]
	}
	return append(ops, func(http.ResponseWriter, *http.Request, *[]string) { panic("handler failed") })
}

// headerSentBeforePanic reports whether ops, run without the middleware,
// send the final header before their last step panics.
func headerSentBeforePanic(ops []handlerOp) bool {
	for _, e := range runRecorder(ops, nil).Trace {
		if strings.HasPrefix(e, "SENT ") && !strings.HasPrefix(e, "SENT 1xx") {
			return true
		}
	}
	return false
}

// answered500 is ops with its final panic replaced by what Recover answers
// before the header: a 500 written with http.Error.
func answered500(ops []handlerOp) []handlerOp {
	return append(slices.Clone(ops[:len(ops)-1]), func(w http.ResponseWriter, _ *http.Request, _ *[]string) {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	})
}

func recoverOptions(rng *rand.Rand) Options {
	opts := invisibleOptions(rng)
	opts.Recover = true
	return opts
}

func TestMiddlewareInvisibleRecoverRecorder(t *testing.T) {
	sentCases := 0
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 4))
		ops := recoverOps(rng)
		opts := recoverOptions(rng)
		var want recorderRun
		if headerSentBeforePanic(ops) {
			sentCases++
			want = runRecorder(ops, nil)
			want.Recovered = http.ErrAbortHandler.Error()
		} else {
			want = runRecorder(answered500(ops), nil)
		}
		got := runRecorder(ops, Middleware(opts))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d (body capture %+v): with Recover (-want +got):\n%s", seed, opts.Body, diff)
		}
	}
	if sentCases == 0 || sentCases == 400 {
		t.Fatalf("%d of 400 handlers panic after the header; want both cases covered", sentCases)
	}
}

func TestMiddlewareInvisibleRecoverServer(t *testing.T) {
	seeds := uint64(60)
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 5))
		ops := recoverOps(rng)
		opts := recoverOptions(rng)
		model := ops
		if !headerSentBeforePanic(ops) {
			model = answered500(ops)
		}
		want := runServer(t, model, nil)
		got := runServer(t, ops, Middleware(opts))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d (body capture %+v): with Recover (-want +got):\n%s", seed, opts.Body, diff)
		}
	}
}
