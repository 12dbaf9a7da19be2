package main

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// Bounds on what one request may ask for.
const (
	maxSteps     = 1000     // n of /api/v1/work and /api/v1/fail
	maxBatchIDs  = 50       // ids of /api/v1/users
	maxBodyBytes = 64 << 10 // body of POST /api/v1/payments
)

// API is the service's HTTP surface. Handlers log through log with the
// request's context, so every record carries the request's correlation ID,
// trace and span IDs and follows its sampling decision.
type API struct {
	store *Store
	log   *slog.Logger
	next  *downstream // the next instance of a chain; nil calls none
}

// Routes returns the service's routes:
//
//	GET  /health              200, logs "Health check completed"
//	GET  /api/v1/users/{id}   one read; "user fetched", or 404 with a WARN
//	GET  /api/v1/users?ids=   one read per ID (a batch lookup)
//	POST /api/v1/payments     inserts a payment; "payment created"; 400 on a bad body
//	GET  /api/v1/work?n=K     K INFO "work step" records, then 200 (hold=1: see work)
//	GET  /api/v1/fail?n=K     K INFO "work step" records, an ERROR "work failed", then 500
//	GET  /debug/vars          expvar, with the logging stack's Stats as "slogstack"
//
// With a downstream (-downstream), work and fail call the same path and
// query on it after their steps; see work and fail.
func (a *API) Routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler())
	mux.HandleFunc("GET /health", a.health)
	mux.HandleFunc("GET /api/v1/users/{id}", a.user)
	mux.HandleFunc("GET /api/v1/users", a.users)
	mux.HandleFunc("POST /api/v1/payments", a.createPayment)
	mux.HandleFunc("GET /api/v1/work", a.work)
	mux.HandleFunc("GET /api/v1/fail", a.fail)
	return mux
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "Health check completed",
		slog.Int("db_open_connections", a.store.OpenConnections()))
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) user(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		a.log.LogAttrs(ctx, slog.LevelWarn, "bad user id", slog.String("id", r.PathValue("id")))
		writeError(w, http.StatusBadRequest, "id must be a positive integer")
		return
	}
	u, err := a.store.User(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		a.log.LogAttrs(ctx, slog.LevelWarn, "user not found", slog.Int64("user_id", id))
		writeError(w, http.StatusNotFound, fmt.Sprintf("user %d not found", id))
	case err != nil:
		a.log.LogAttrs(ctx, slog.LevelError, "user read failed", slog.Int64("user_id", id), slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "internal error")
	default:
		a.log.LogAttrs(ctx, slog.LevelInfo, "user fetched", slog.Int64("user_id", u.ID))
		writeJSON(w, http.StatusOK, u)
	}
}

func (a *API) users(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ids, err := parseIDs(r.URL.Query().Get("ids"))
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "bad user ids", slog.String("error", err.Error()))
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	found := make([]User, 0, len(ids))
	missing := []int64{}
	for _, id := range ids {
		u, err := a.store.User(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			missing = append(missing, id)
		case err != nil:
			a.log.LogAttrs(ctx, slog.LevelError, "user read failed", slog.Int64("user_id", id), slog.Any("error", err))
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		default:
			found = append(found, u)
		}
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "users fetched", slog.Int("requested", len(ids)),
		slog.Int("found", len(found)), slog.Int("missing", len(missing)))
	writeJSON(w, http.StatusOK, map[string]any{"users": found, "missing": missing})
}

// parseIDs parses "1,2,3": 1 to maxBatchIDs positive integers.
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, errors.New("ids is required, for example ids=1,2,3")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxBatchIDs {
		return nil, fmt.Errorf("at most %d ids per request", maxBatchIDs)
	}
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("ids: %q is not a positive integer", p)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// paymentRequest is the body of POST /api/v1/payments. Amount is in the
// currency's minor unit (cents).
type paymentRequest struct {
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	CardNumber string `json:"card_number"`
}

func (p paymentRequest) validate() error {
	var errs []error
	if p.Amount <= 0 {
		errs = append(errs, errors.New("amount must be a positive integer (minor units)"))
	}
	if len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency || strings.ContainsFunc(p.Currency, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		errs = append(errs, errors.New("currency must be a three-letter ISO 4217 code such as EUR"))
	}
	if !validCard(p.CardNumber) {
		errs = append(errs, errors.New("card_number must be 12 to 19 digits passing the Luhn check"))
	}
	return errors.Join(errs...)
}

// validCard reports whether s is 12 to 19 digits (spaces and dashes
// allowed between them) that pass the Luhn check.
func validCard(s string) bool {
	n, sum := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c == ' ' || c == '-' {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 12 && n <= 19 && sum%10 == 0
}

func (a *API) createPayment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req paymentRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&req); err != nil {
		// The decoder's message names a type or offset, never the body.
		a.log.LogAttrs(ctx, slog.LevelWarn, "bad payment body", slog.String("error", err.Error()))
		writeError(w, http.StatusBadRequest, "body must be a JSON object with amount, currency and card_number")
		return
	}
	if err := req.validate(); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "bad payment body", slog.String("error", err.Error()))
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p, err := a.store.CreatePayment(ctx, req.Amount, req.Currency, req.CardNumber)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "payment insert failed", slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "payment created", slog.Int64("payment_id", p.ID),
		slog.Int64("amount", p.Amount), slog.String("currency", p.Currency),
		slog.String("card_number", maskCard(req.CardNumber)))
	writeJSON(w, http.StatusCreated, p)
}

// steps parses n of /api/v1/work and /api/v1/fail: 0 to maxSteps, default 1.
func steps(r *http.Request) (int, error) {
	s := r.URL.Query().Get("n")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxSteps {
		return 0, fmt.Errorf("n must be an integer from 0 to %d", maxSteps)
	}
	return n, nil
}

func (a *API) doSteps(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := steps(r)
	if err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelWarn, "bad step count", slog.String("n", r.URL.Query().Get("n")))
		writeError(w, http.StatusBadRequest, err.Error())
		return 0, false
	}
	for i := range n {
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "work step", slog.Int("step", i))
	}
	return n, true
}

// callNext calls the same path and query on the next instance, when there
// is one, and reports whether it answered 2xx (true without a next
// instance). A failure is logged at ERROR: the request's records are kept.
func (a *API) callNext(r *http.Request) bool {
	if a.next == nil {
		return true
	}
	depth, _ := chainDepth(r) // checked by tooDeep
	status, err := a.next.call(r.Context(), r.URL.Path, r.URL.RawQuery, depth+1)
	switch {
	case err != nil:
		a.log.LogAttrs(r.Context(), slog.LevelError, "downstream call failed", slog.String("error", err.Error()))
		return false
	case status < 200 || status > 299:
		a.log.LogAttrs(r.Context(), slog.LevelError, "downstream call failed", slog.Int("status", status))
		return false
	}
	return true
}

// tooDeep answers 508 Loop Detected, after a WARN "downstream loop
// refused", and reports true when this instance has a next one and r
// arrived at maxChainDepth calls (or with a depth header that is not a
// number): -downstream leads back into the chain.
func (a *API) tooDeep(w http.ResponseWriter, r *http.Request) bool {
	if a.next == nil {
		return false
	}
	if _, ok := chainDepth(r); ok {
		return false
	}
	a.log.LogAttrs(r.Context(), slog.LevelWarn, "downstream loop refused",
		slog.String("depth", r.Header.Get(chainDepthHeader)), slog.Int("max", maxChainDepth))
	writeError(w, http.StatusLoopDetected, fmt.Sprintf("%s: more than %d calls in a chain: does -downstream lead back to an instance of the chain?", chainDepthHeader, maxChainDepth))
	return true
}

// work logs its steps, calls the next instance, and answers 200, or 502
// when the next instance failed. With hold=1 the request stays open until
// its client ends the request body: it answers 200 at once, logs its first
// step, reads the body to its end, then logs the other steps and calls the
// next instance (a failure there is logged; the status is already sent).
// It shows that a request in flight keeps its sampling decision when the
// policy changes under it (PUT /logging on the admin listener).
func (a *API) work(w http.ResponseWriter, r *http.Request) {
	if a.tooDeep(w, r) {
		return
	}
	if r.URL.Query().Get("hold") == "1" {
		a.heldWork(w, r)
		return
	}
	n, ok := a.doSteps(w, r)
	if !ok {
		return
	}
	if !a.callNext(r) {
		writeError(w, http.StatusBadGateway, "downstream failed")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"steps": n})
}

// heldWork is work with hold=1.
func (a *API) heldWork(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	n, err := steps(r)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "bad step count", slog.String("n", r.URL.Query().Get("n")))
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// HTTP/1 reads the body after the answer has begun only in full duplex.
	_ = http.NewResponseController(w).EnableFullDuplex()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
	for i := range n {
		a.log.LogAttrs(ctx, slog.LevelInfo, "work step", slog.Int("step", i))
		if i == 0 {
			_, _ = io.Copy(io.Discard, http.MaxBytesReader(nil, r.Body, maxBodyBytes))
		}
	}
	a.callNext(r)
	_ = json.NewEncoder(w).Encode(map[string]int{"steps": n})
}

// fail logs its steps, calls the next instance (which fails too), then
// logs an ERROR "work failed" and answers 500.
func (a *API) fail(w http.ResponseWriter, r *http.Request) {
	if a.tooDeep(w, r) {
		return
	}
	n, ok := a.doSteps(w, r)
	if !ok {
		return
	}
	a.callNext(r)
	a.log.LogAttrs(r.Context(), slog.LevelError, "work failed", slog.Int("steps", n),
		slog.String("error", "simulated failure after the last step"))
	writeError(w, http.StatusInternalServerError, "work failed")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
