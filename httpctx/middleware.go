package httpctx

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"github.com/slogstack/slogstack/internal/forcetoken"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"github.com/slogstack/slogstack/internal/traceparent"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
	"go.opentelemetry.io/otel/trace"
)

// panicMessage is the message of the ERROR record logged for a panic.
const panicMessage = "panic serving request"

// Header names, in canonical form (as keys of http.Header).
const (
	// headerCorrelationID (X-Correlation-ID) is read from requests and
	// set on responses.
	headerCorrelationID = "X-Correlation-Id"
	// headerLogSampled (X-Log-Sampled: true|false) is set on responses.
	headerLogSampled = "X-Log-Sampled"
	// headerRequestID (X-Request-ID) is read from requests.
	headerRequestID = "X-Request-Id"
	// headerTraceparent (W3C traceparent) is read from requests.
	headerTraceparent = "Traceparent"
	// headerForce (X-Log-Force: a forced-sampling token) is read from
	// requests.
	headerForce = "X-Log-Force"
)

// middleware opens a scope for each HTTP request and writes its access
// record; see Middleware. Its methods are safe for concurrent use.
type middleware struct {
	opts   Options
	policy sampling.Decider // opts.Policy, never nil, path lists of its own
	stats  counters
}

// newMiddleware returns a middleware with opts. A nil *sampling.PolicyVar
// as opts.Policy panics here, rather than on every request.
func newMiddleware(opts Options) *middleware {
	m := &middleware{opts: opts, policy: opts.Policy}
	m.opts.ForceKey = slices.Clone(forcetoken.CheckKey("httpctx: Options.ForceKey", opts.ForceKey)) // the caller's to change
	switch p := opts.Policy.(type) {
	case nil:
		m.policy = sampling.Policy{}
	case sampling.Policy:
		p.AlwaysSamplePaths = slices.Clone(p.AlwaysSamplePaths)
		p.ExcludedPaths = slices.Clone(p.ExcludedPaths)
		m.policy = p
	case *sampling.PolicyVar:
		if p == nil {
			panic("httpctx: Options.Policy is a nil *sampling.PolicyVar")
		}
	}
	return m
}

// Middleware returns net/http middleware that opens a request scope (see
// package scope) for every request. The handlers one call of it wraps
// share one set of counters, which StatsOf reads from any of them (and
// slogstack's Stack.Stats reports for Stack.Middleware).
//
// A request whose context already carries a scope (an outer Middleware, or
// scope.Start) is passed to next unchanged and counted as Nested: a request
// has one scope and one access record.
//
// For each other request, in order:
//
//   - The correlation ID is taken from X-Correlation-ID, else X-Request-ID,
//     else the trace ID of a valid span context in the request's context
//     (put there by OpenTelemetry instrumentation), else of a valid W3C
//     traceparent header, else a new random ID (scope.NewCorrelationID).
//     An incoming ID is accepted only with 1 to 128 characters, each an
//     ASCII letter, digit, '.', '_', ':' or '-'; any other is never used,
//     echoed or logged: it is counted as rejected and the next source is
//     tried.
//   - A valid forced-sampling token in X-Log-Force, made for that
//     correlation ID (see Options.ForceKey), decides first: sampled, rate
//     1, reason "forced". Otherwise opts.Policy decides, once, whether the
//     request's records are sampled, from r.URL.Path, the correlation ID
//     and the span context.
//     The zero Policy samples nothing; DefaultOptions sets
//     sampling.DefaultPolicy().
//   - The handler runs with a context that carries the scope: records
//     logged with it (or through scope.Logger(ctx), bound to opts.Logger)
//     carry correlation_id (with a scope.Handler in the stack) and follow
//     the decision (with sampling.Handler).
//   - When the handler writes the header (WriteHeader, the first Write,
//     ReadFrom or Flush), X-Correlation-ID and X-Log-Sampled: true|false are
//     set, the latter from the decision as it stands then. A 5xx status
//     keeps a request that was not sampled before the header goes out, so
//     its X-Log-Sampled is true. A handler that writes nothing gets an
//     explicit 200 so the headers are still sent. A hijacked connection
//     gets no headers.
//   - At the end: a panic is logged at ERROR with its stack (after keeping
//     the request), the access record is logged (with opts.AccessLog),
//     the scope ends (records of
//     a request not sampled and not kept are dropped), and the panic is
//     re-raised; with Options.Recover it is answered 500 if no header was
//     written, and turned into http.ErrAbortHandler if one was (see
//     Options.Recover). The panic record's panic attribute holds the
//     panic value itself (slog.Any), so the handlers below encode it, and
//     a redaction handler masks it, as any other logged value: a string
//     or an error is written as its text, a struct with its fields.
//   - A panic with http.ErrAbortHandler is a deliberate abort, not an
//     error: it is not logged as a panic and does not keep the request;
//     the access record says aborted=true, with the status written before
//     the abort (0 if none), at WARN (ERROR only if a 5xx was written), so
//     it follows the request's decision; and the value is re-raised as is,
//     so net/http aborts the connection without logging.
//   - A panic while logging the middleware's own records (a broken sink) is
//     recovered and counted as LogPanics.
//
// The access record has the message opts.AccessMessage and the attributes
// method, path (r.URL.Path, no query), route (the ServeMux pattern that
// matched, r.Pattern, "" if none), status (0 for a hijacked connection
// that wrote no header), bytes (response body bytes),
// duration, remote_addr and user_agent, plus panic=true after a panic,
// aborted=true after an abort, hijacked=true after a hijack and the body
// attributes of BodyOptions. Its level is ERROR for a 5xx or a panic, WARN
// for a 4xx or an abort, else INFO. It is
// logged with the request's context, so it follows the request's decision.
func Middleware(opts Options) func(http.Handler) http.Handler {
	return newMiddleware(opts).Handler
}

// Stats returns the middleware's counters; it is safe to call at any time.
func (m *middleware) Stats() Stats { return m.stats.snapshot() }

// Handler wraps next; see Middleware.
func (m *middleware) Handler(next http.Handler) http.Handler {
	return &wrapped{m: m, next: next}
}

// wrapped is an http.Handler returned by a Middleware: next served through
// the middleware m. StatsOf recognises it.
type wrapped struct {
	m    *middleware
	next http.Handler
}

func (h *wrapped) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.m.serve(h.next, w, r) }

// StatsOf returns the counters of the middleware that returned h, shared by
// every handler that one Middleware call wrapped, and true; for any other
// handler (including one that wraps such a handler further) it returns the
// zero Stats and false. It is safe to call at any time.
//
//	h := httpctx.Middleware(httpctx.DefaultOptions())(mux)
//	st, _ := httpctx.StatsOf(h)
func StatsOf(h http.Handler) (Stats, bool) {
	if w, ok := h.(*wrapped); ok {
		return w.m.Stats(), true
	}
	return Stats{}, false
}

func (m *middleware) logger() *slog.Logger {
	if m.opts.Logger != nil {
		return m.opts.Logger
	}
	return slog.Default()
}

// serve handles one request.
func (m *middleware) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if reqscope.FromContext(ctx) != nil {
		// An outer Middleware (or scope.Start) already opened this request's
		// scope: one scope and one access record per request.
		m.stats.nested.Add(1)
		next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	m.stats.requests.Add(1)
	ctxSpan := trace.SpanContextFromContext(ctx)
	id, sc := m.correlationID(ctxSpan, r.Header)
	forceToken := m.forceToken(r.Header, id, start)
	var d reqscope.Decision
	if forceToken != "" {
		d = reqscope.Forced
	} else {
		sampled, rate, reason := m.policy.Decide(r.URL.Path, id, sc)
		d = reqscope.Decision{Sampled: sampled, Rate: rate, Reason: reason}
	}
	m.countDecision(d)
	// One allocation holds the scope's state (which is also the context)
	// and the wrapped writer.
	rs := &requestState{}
	ctx = rs.st.InitSpan(ctx, ctxSpan, id, sc, d, m.opts.Logger)
	rs.st.Scope.SetForceToken(forceToken)
	rw := &rs.rw
	*rw = responseWriter{w: w, scope: rs.st.Scope}
	r2 := r.WithContext(ctx)
	var reqBody *bodyCapture
	capture := m.opts.Body.maxBytes() > 0
	if capture && m.opts.Body.Request && r.Body != nil && r.Body != http.NoBody {
		reqBody = newBodyCapture(&m.opts.Body, r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"))
		r2.Body = &requestBody{rc: r.Body, c: reqBody, header: r.Header}
	}
	if capture && m.opts.Body.Response {
		rw.body = &bodyCapture{opts: &m.opts.Body, max: m.opts.Body.maxBytes()}
	}
	defer func() {
		m.finish(ctx, rw, r2, reqBody, start, recover())
	}()
	next.ServeHTTP(rw.withOptional(), r2)
}

// requestState is what the middleware allocates per request.
type requestState struct {
	st scopectx.State
	rw responseWriter
}

// correlationID picks the request's correlation ID and span context, from
// sc (the span context of the request's context, if valid) and h.
func (m *middleware) correlationID(sc trace.SpanContext, h http.Header) (string, trace.SpanContext) {
	fromCtx := sc.IsValid()
	if !fromCtx {
		if vs := h[headerTraceparent]; len(vs) > 0 {
			if psc, ok := traceparent.Parse(vs[0]); ok {
				sc = psc
			} else {
				m.stats.rejTraceparent.Add(1)
			}
		}
	}
	if vs := h[headerCorrelationID]; len(vs) > 0 {
		if reqscope.ValidID(vs[0]) {
			m.stats.fromCorr.Add(1)
			return vs[0], sc
		}
		m.stats.rejCorr.Add(1)
	}
	if vs := h[headerRequestID]; len(vs) > 0 {
		if reqscope.ValidID(vs[0]) {
			m.stats.fromReqID.Add(1)
			return vs[0], sc
		}
		m.stats.rejReqID.Add(1)
	}
	if sc.IsValid() {
		if fromCtx {
			m.stats.fromSpan.Add(1)
		} else {
			m.stats.fromTraceparent.Add(1)
		}
		return sc.TraceID().String(), sc
	}
	m.stats.generated.Add(1)
	return scope.NewCorrelationID(), sc
}

func (m *middleware) countDecision(d reqscope.Decision) {
	if d.Sampled {
		m.stats.sampled.Add(1)
	} else {
		m.stats.notSampled.Add(1)
	}
	switch d.Reason {
	case reqscope.ReasonExcluded:
		m.stats.excluded.Add(1)
	case reqscope.ReasonPath:
		m.stats.path.Add(1)
	case reqscope.ReasonTrace:
		m.stats.trace.Add(1)
	case reqscope.ReasonRate:
		m.stats.rate.Add(1)
	case reqscope.ReasonForced:
		m.stats.forced.Add(1)
	default:
		m.stats.otherReason.Add(1)
	}
}

// finish ends a request: the panic record, the implicit header, the keep
// for a 5xx, the access record, the end of the scope, and the re-raised
// panic (or, for a recovered panic after the header, the abort). A panic while logging (a broken sink) is recovered and counted:
// it never changes what the client gets.
func (m *middleware) finish(ctx context.Context, rw *responseWriter, r *http.Request, reqBody *bodyCapture, start time.Time, p any) {
	s := rw.scope
	defer s.End() // also before a re-raise unwinds further
	// net/http compares with ==: an abort is exactly this value.
	aborted := p == http.ErrAbortHandler
	panicked := p != nil && !aborted
	reraise := aborted || (panicked && !m.opts.Recover)
	cutResponse := false // a recovered panic after the header aborts the response
	logger := m.logger()
	if panicked {
		m.stats.panics.Add(1)
		s.Keep()
		m.log(ctx, logger, slog.LevelError, panicMessage,
			slog.Any("panic", p),
			slog.String("stack", string(debug.Stack())))
		if !reraise && !rw.hijacked {
			if rw.wroteHeader {
				// The status is out and the body may be cut: only
				// an aborted connection tells the client so.
				cutResponse = true
			} else {
				http.Error(rw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}
	}
	if aborted {
		m.stats.aborted.Add(1)
	}
	if p == nil {
		// net/http sends this 200, with the correlation headers, once
		// the handler has returned.
		rw.implicitHeader()
	}
	status := rw.status // 0 when no header was written (an abort, a hijack)
	if panicked && !rw.wroteHeader {
		status = http.StatusInternalServerError
	}
	if status >= 500 && s.Keep() {
		rw.keptBy5xx = true
	}
	if rw.keptBy5xx {
		m.stats.serverErrorKeeps.Add(1)
	}
	if !s.Initial().Sampled && s.Kept() {
		m.stats.kept.Add(1)
	}
	if m.opts.AccessLog {
		m.accessRecord(ctx, logger, rw, r, reqBody, status, time.Since(start), panicked, aborted)
	}
	if reraise {
		panic(p)
	}
	if cutResponse {
		panic(http.ErrAbortHandler)
	}
}

// log logs one record of the middleware's own, recovering a panic below
// (counted in Stats().LogPanics) so that a broken sink cannot break the
// response or lose the handler's own panic.
func (m *middleware) log(ctx context.Context, logger *slog.Logger, level slog.Level, msg string, as ...slog.Attr) {
	defer func() {
		if recover() != nil {
			m.stats.logPanics.Add(1)
		}
	}()
	logger.LogAttrs(ctx, level, msg, as...)
}

// accessLevel is the level of an access record: ERROR for a 5xx or a
// panic, WARN for a 4xx or an aborted request, INFO otherwise.
func accessLevel(status int, panicked, aborted bool) slog.Level {
	switch {
	case status >= 500 || panicked:
		return slog.LevelError
	case status >= 400 || aborted:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// accessRecord logs the request's access record.
func (m *middleware) accessRecord(ctx context.Context, logger *slog.Logger, rw *responseWriter, r *http.Request, reqBody *bodyCapture, status int, dur time.Duration, panicked, aborted bool) {
	level := accessLevel(status, panicked, aborted)
	if !logger.Enabled(ctx, level) {
		return
	}
	var buf [15]slog.Attr
	as := append(buf[:0],
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", r.Pattern),
		slog.Int("status", status),
		slog.Int64("bytes", rw.bytes),
		slog.Duration("duration", dur),
		slog.String("remote_addr", r.RemoteAddr),
		slog.String("user_agent", r.UserAgent()),
	)
	if panicked {
		as = append(as, slog.Bool("panic", true))
	}
	if aborted {
		as = append(as, slog.Bool("aborted", true))
	}
	if rw.hijacked {
		as = append(as, slog.Bool("hijacked", true))
	}
	if reqBody != nil {
		var res bodyResult
		as, res = reqBody.appendAttrs(as, keyRequestBody, keyRequestBodyTruncated)
		m.countBody(res, &m.stats.reqBody)
	}
	if rw.body != nil {
		rw.body.markComplete()
		var res bodyResult
		as, res = rw.body.appendAttrs(as, keyResponseBody, keyResponseBodyTruncated)
		m.countBody(res, &m.stats.respBody)
	}
	m.log(ctx, logger, level, m.opts.AccessMessage, as...)
}

func (m *middleware) countBody(res bodyResult, bytes interface{ Add(uint64) uint64 }) {
	if res.binary {
		m.stats.skipped.Add(1)
		return
	}
	bytes.Add(uint64(res.captured))
	if res.truncated && res.captured > 0 {
		m.stats.truncated.Add(1)
	}
}
