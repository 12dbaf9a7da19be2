package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
)

func newTestAPI(t *testing.T, logs io.Writer) *API {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := OpenStore(context.Background(), t.TempDir()+"/api.db", 2, log, noop.NewTracerProvider().Tracer(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &API{store: store, log: log}
}

// TestAPI checks every endpoint's answers, good and bad input alike.
func TestAPI(t *testing.T) {
	var logs syncBuffer
	routes := newTestAPI(t, &logs).Routes()
	for _, tc := range []struct {
		method, path, body string
		status             int
		bodyHas            string
	}{
		{"GET", "/health", "", 200, `"status":"ok"`},
		{"GET", "/api/v1/users/7", "", 200, `"name":"User 7"`},
		{"GET", "/api/v1/users/999", "", 404, `"error":"user 999 not found"`},
		{"GET", "/api/v1/users/abc", "", 400, `"error":"id must be a positive integer"`},
		{"GET", "/api/v1/users/-1", "", 400, `"error"`},
		{"GET", "/api/v1/users?ids=1,2,500", "", 200, `"missing":[500]`},
		{"GET", "/api/v1/users?ids=", "", 400, `ids is required`},
		{"GET", "/api/v1/users?ids=1,x", "", 400, `is not a positive integer`},
		{"GET", "/api/v1/users?ids=" + strings.Repeat("1,", 50) + "1", "", 400, `at most 50 ids`},
		{"POST", "/api/v1/payments", `{"amount": 1250, "currency": "EUR", "card_number": "4242 4242 4242 4242"}`, 201, `"card_last4":"4242"`},
		{"POST", "/api/v1/payments", `{"amount": "ten"}`, 400, `body must be a JSON object`},
		{"POST", "/api/v1/payments", `not json`, 400, `body must be a JSON object`},
		{"POST", "/api/v1/payments", `{"amount": 0, "currency": "eur", "card_number": "4242424242424241"}`, 400, `amount must be a positive integer`},
		{"POST", "/api/v1/payments", `{"amount": 5, "currency": "EUR", "card_number": "4242424242424241"}`, 400, `Luhn`},
		{"POST", "/api/v1/payments", `{"amount": 5, "currency": "EURO", "card_number": "4242424242424242"}`, 400, `three-letter`},
		{"POST", "/api/v1/payments", `{"amount": 5, "currency": "EUR", "card_number": "` + strings.Repeat("9", maxBodyBytes) + `"}`, 400, `body must be a JSON object`},
		{"GET", "/api/v1/work?n=3", "", 200, `"steps":3`},
		{"GET", "/api/v1/work", "", 200, `"steps":1`},
		{"GET", "/api/v1/work?n=1001", "", 400, `n must be an integer from 0 to 1000`},
		{"GET", "/api/v1/work?n=-1", "", 400, `n must be`},
		{"GET", "/api/v1/fail?n=2", "", 500, `"error":"work failed"`},
		{"DELETE", "/api/v1/work", "", 405, ``},
	} {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 40)], func(t *testing.T) {
			rec := httptest.NewRecorder()
			routes.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.bodyHas) {
				t.Errorf("body %s does not contain %s", rec.Body, tc.bodyHas)
			}
			if tc.status != 405 && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", rec.Body)
			}
		})
	}
	if strings.Contains(logs.String(), "4242 4242 4242 4242") || strings.Contains(logs.String(), "4242424242424242") {
		t.Error("a card number reached the logs")
	}
}

// TestAPILogs checks the records the endpoints log, in order.
func TestAPILogs(t *testing.T) {
	var logs syncBuffer
	routes := newTestAPI(t, &logs).Routes()
	for _, path := range []string{"/api/v1/users?ids=1,2,3", "/api/v1/fail?n=2", "/api/v1/users/404"} {
		routes.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	var got []string
	for _, l := range parseLines(t, logs.String()) {
		m := l.str("level") + " " + l.str("msg")
		if l.str("msg") == "Connection pool size" {
			if _, ok := l["size"].(float64); !ok {
				t.Errorf("pool line without a numeric size: %v", l)
			}
		}
		got = append(got, m)
	}
	want := []string{
		"DEBUG Connection pool size", "DEBUG Connection pool size", "DEBUG Connection pool size", "INFO users fetched",
		"INFO work step", "INFO work step", "ERROR work failed",
		"DEBUG Connection pool size", "WARN user not found",
	}
	if !slicesEqual(got, want) {
		t.Errorf("records\n got %q\nwant %q", got, want)
	}
}

func TestValidCard(t *testing.T) {
	for _, tc := range []struct {
		card string
		ok   bool
	}{
		{"4242424242424242", true},
		{"4242-4242-4242-4242", true},
		{"378282246310005", true},
		{"4242424242424241", false},
		{"42424242", false},             // too short
		{"42424242424242424242", false}, // too long
		{"4242x24242424242", false},     // not a digit
		{"", false},
	} {
		if got := validCard(tc.card); got != tc.ok {
			t.Errorf("validCard(%q) = %v, want %v", tc.card, got, tc.ok)
		}
	}
	if got := maskCard("4242 4242 4242 4242"); got != "************4242" {
		t.Errorf("maskCard = %q", got)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-load", "-1s"}, {"-clients", "0"}, {"-db-conns", "0"}, {"extra"}, {"-nope"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	dir := t.TempDir()
	refused := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-otlp-endpoint", "http://127.0.0.1:4318", "-log", "-"}, "-otlp-endpoint and -log"},
		{[]string{"-log", "x.log", "-otlp-endpoint", "http://127.0.0.1:4318"}, "-otlp-endpoint and -log"},
		{[]string{"-otlp-endpoint", "127.0.0.1:4318"}, `-otlp-endpoint: not a URL: want the collector's OTLP/HTTP base URL`},
		{[]string{"-otlp-endpoint", "localhost:4318"}, `-otlp-endpoint "localhost:4318"`},
		{[]string{"-otlp-endpoint", "grpc://127.0.0.1:4317"}, `-otlp-endpoint "grpc://127.0.0.1:4317"`},
		{[]string{"-otlp-endpoint", "http://"}, `-otlp-endpoint "http://"`},
		{[]string{"-otlp-endpoint", "http://host:4318/?q=1"}, `-otlp-endpoint "http://host:4318/?q=1"`},
		{[]string{"-otlp-endpoint", "http://a b"}, `-otlp-endpoint: not a URL`},
		// A password in the value is never shown.
		{[]string{"-otlp-endpoint", "http://user:hunter2secret@a b"}, `-otlp-endpoint: not a URL`},
		{[]string{"-otlp-endpoint", "ftp://user:hunter2secret@host"}, `-otlp-endpoint "ftp://user:xxxxx@host"`},
		{[]string{"-report-json", filepath.Join(dir, "missing", "r.json")}, "the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"-report-json", dir}, "is a directory"},
	}
	for _, tc := range refused {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("parseFlags(%q) = %v, want an error with %q (and no password)", tc.args, err, tc.wantErr)
		}
	}
	for _, ok := range [][]string{
		{"-otlp-endpoint", "http://127.0.0.1:4318"},
		{"-otlp-endpoint", "https://collector.example:4318/prefix"},
		{"-report-json", filepath.Join(dir, "r.json")},
	} {
		if _, err := parseFlags(ok, io.Discard); err != nil {
			t.Errorf("parseFlags(%q) = %v", ok, err)
		}
	}
	o, err := parseFlags([]string{"-load", "2s", "-clients", "3"}, io.Discard)
	if err != nil || o.load.String() != "2s" || o.clients != 3 || o.addr != "127.0.0.1:8080" {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
}
