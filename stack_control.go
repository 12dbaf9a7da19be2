package slogstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// maxControlBody is the largest request body ControlHandler reads.
const maxControlBody = 64 << 10

// ControlHandler returns the endpoint through which an operator reads and
// changes the logging of the running stack: its level (Stack.Level) and,
// when Config.Sampling is on, its sampling policy (Stack.Policy). Mount it
// on an admin listener that only operators can reach; it does not
// authenticate, and it ignores the request's path.
//
// GET (and HEAD) answers 200 with the settings in force as JSON:
//
//	{"level":"INFO","sampling":{"rate":0.1,"always_sample_paths":[],
//	 "excluded_paths":["/health","/healthz","/livez","/readyz"],"follow_trace":false}}
//
// The level is written as slog writes it ("DEBUG", "INFO+2"); the rate is
// the one the policy decides with (a rate the program stored below 0, or
// NaN, shows as 0, one above 1 as 1); the lists are never null; sampling
// is null when Config.Sampling is off.
//
// PUT takes a JSON object with any subset of those fields: a field present
// replaces the value in force (a list replaces the whole list), a field
// absent keeps it, so {"sampling":{"rate":0.5}} changes the rate only. A
// level is any text slog.Level.UnmarshalText accepts, in any case ("debug",
// "WARN-2"), except an offset that overflows; a rate is a number in
// [0, 1]. The body is refused, and nothing changes, with 400 and a
// one-line plain-text error naming the field when it is not one JSON
// object, has data after it, names a field that does not exist or one
// twice, gives a value of the wrong kind or null, a level slog cannot
// parse, a rate outside [0, 1], or sampling settings while Config.Sampling
// is off (a null sampling, as GET shows it then, is accepted and changes
// nothing); with 413 when it is over 64 KiB. A valid PUT answers 200 with
// the new settings, as GET would. Every change applies to the records
// logged and the requests that start after the PUT returns: a request
// already in flight keeps its sampling decision.
//
// PUTs are serialised by a mutex of the stack, shared by every handler
// ControlHandler returns, which the log path never takes. A PUT computes
// the new policy from the one it reads, so a Store the program makes
// between the two is overwritten: change the policy through one of them.
// Each PUT that changes something first logs one record through the
// stack's top handler, at INFO whatever the level in force (an audit
// trail): message "logging settings changed" with the settings before and
// after ("old", "new", shaped as the JSON above) and the request's remote
// address (behind a proxy, the proxy's). If the sink panics on that record
// and no layer of the stack recovers it, the PUT answers 500 and changes
// nothing. Other methods answer 405 with an Allow header.
func (s *Stack) ControlHandler() http.Handler {
	return &controlHandler{stack: s}
}

// controlHandler serves ControlHandler.
type controlHandler struct {
	stack *Stack
}

func (h *controlHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeControlState(w, r, h.stack.controlState())
	case http.MethodPut:
		h.put(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		controlError(w, http.StatusMethodNotAllowed, errors.New("method "+r.Method+" not allowed; use GET, HEAD or PUT"))
	}
}

// put validates the whole body against the settings in force, then
// applies it, so a refused body changes nothing.
func (h *controlHandler) put(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			controlError(w, http.StatusRequestEntityTooLarge, errors.New("body: over "+strconv.Itoa(maxControlBody)+" bytes"))
			return
		}
		controlError(w, http.StatusBadRequest, errors.New("body: "+err.Error()))
		return
	}
	h.stack.controlMu.Lock() // read, validate, apply and log as one step
	defer h.stack.controlMu.Unlock()
	old := h.stack.controlState()
	next, err := parseControlUpdate(body, old)
	if err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	if !next.equal(old) {
		// The audit record first: a change it cannot record is not made.
		if err := h.stack.logControlChange(r, old, next); err != nil {
			controlError(w, http.StatusInternalServerError, err)
			return
		}
		h.stack.applyControlState(old, next)
	}
	writeControlState(w, r, h.stack.controlState())
}

// applyControlState makes next the settings in force. Only what differs
// from old is stored, so a PUT that leaves the policy alone does not race
// a concurrent Store by the program.
func (s *Stack) applyControlState(old, next controlState) {
	if next.Level != old.Level {
		s.level.Set(next.Level)
	}
	if next.Sampling != nil && !next.Sampling.equal(old.Sampling) {
		s.policy.Store(next.Sampling.policy())
	}
}

// logControlChange writes the audit record of a change. It is handed to the
// stack's top handler directly, so a level above INFO (maybe the one about
// to be set) does not hide it, and with a context of its own, so the
// sampling decision of the admin request does not drop it. A panic of the
// sink (one no layer recovers) is recovered and returned as an error; an
// error the handler returns is ignored, as slog.Logger ignores it (the
// layers count it).
func (s *Stack) logControlChange(r *http.Request, old, next controlState) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("audit record not written, nothing changed: the sink panicked: " + truncate(fmt.Sprint(p)))
		}
	}()
	rec := slog.NewRecord(time.Now(), slog.LevelInfo, "logging settings changed", 0)
	rec.AddAttrs(old.attr("old"), next.attr("new"), slog.String("remote_addr", r.RemoteAddr))
	_ = s.top.Handle(context.Background(), rec)
	return nil
}

// writeControlState answers 200 with st as JSON, the headers only to HEAD.
func writeControlState(w http.ResponseWriter, r *http.Request, st controlState) {
	b, err := json.Marshal(st)
	if err != nil { // not reached: the state holds strings, bools and rates in [0, 1]
		controlError(w, http.StatusInternalServerError, err)
		return
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// controlError answers status with err's text as one plain-text line.
func controlError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, oneLine(err.Error())+"\n")
}

// oneLine returns s with line breaks replaced by spaces.
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
