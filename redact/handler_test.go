package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"
	slogmulti "github.com/samber/slog-multi"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

func newJSONLogger(opts Options) (*slog.Logger, *bytes.Buffer, *Handler) {
	var buf bytes.Buffer
	h := NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime}), opts)
	return slog.New(h), &buf, h
}

func TestHandlerMasksEveryPosition(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string
	}{
		{"secret key", func(l *slog.Logger) { l.Info("login", "user", "bob", "password", "hunter2") },
			`{"level":"INFO","msg":"login","user":"bob","password":"[REDACTED]"}`},
		{"secret key any kind", func(l *slog.Logger) { l.Info("m", "pin", 1234, "cvv", []int{1, 2, 3}) },
			`{"level":"INFO","msg":"m","pin":"[REDACTED]","cvv":"[REDACTED]"}`},
		{"value", func(l *slog.Logger) { l.Info("call", "header", "Bearer "+secretBearer) },
			`{"level":"INFO","msg":"call","header":"Bearer [REDACTED]"}`},
		{"nested group", func(l *slog.Logger) {
			l.Info("req", slog.Group("http", slog.Group("headers", slog.String("Authorization", "Basic "+secretBasic), slog.String("Accept", "*/*"))))
		}, `{"level":"INFO","msg":"req","http":{"headers":{"Authorization":"[REDACTED]","Accept":"*/*"}}}`},
		{"secret group", func(l *slog.Logger) {
			l.Info("m", slog.Group("credentials", slog.String("user", "bob"), slog.Int("n", 2)))
		},
			`{"level":"INFO","msg":"m","credentials":{"user":"[REDACTED]","n":"[REDACTED]"}}`},
		{"error text", func(l *slog.Logger) {
			l.Error("failed", "err", fmt.Errorf("connect: %w", errors.New("dial postgres://app:s3cret@db:5432/x: refused")))
		}, `{"level":"ERROR","msg":"failed","err":"connect: dial postgres://app:[REDACTED]@db:5432/x: refused"}`},
		{"safe error kept", func(l *slog.Logger) { l.Error("failed", "err", errors.New("timeout")) },
			`{"level":"ERROR","msg":"failed","err":"timeout"}`},
		{"with", func(l *slog.Logger) { l.With("api_key", "abc", "svc", "x").Info("m", "n", 1) },
			`{"level":"INFO","msg":"m","api_key":"[REDACTED]","svc":"x","n":1}`},
		{"with value pattern", func(l *slog.Logger) { l.With("cfg", "url=https://u:p4ss@h/").Info("m") },
			`{"level":"INFO","msg":"m","cfg":"url=https://u:[REDACTED]@h/"}`},
		{"logvaluer", func(l *slog.Logger) { l.Info("m", "who", tokenValuer{"k-123"}) },
			`{"level":"INFO","msg":"m","who":{"user":"bob","api_key":"[REDACTED]","note":"auth [REDACTED]"}}`},
		{"url", func(l *slog.Logger) { l.Info("m", "broker", "amqp://guest:guest123@mq:5672/") },
			`{"level":"INFO","msg":"m","broker":"amqp://guest:[REDACTED]@mq:5672/"}`},
		{"message", func(l *slog.Logger) { l.Info("retrying with token=abc123 for user", "n", 1) },
			`{"level":"INFO","msg":"retrying with token=[REDACTED] for user","n":1}`},
		{"card int", func(l *slog.Logger) { l.Info("m", "num", int64(4111111111111111)) },
			`{"level":"INFO","msg":"m","num":"[REDACTED]"}`},
		{"secret key inside key", func(l *slog.Logger) { l.Info("m", secretAWS, 1) },
			`{"level":"INFO","msg":"m","[REDACTED]":1}`},
		{"secret WithGroup", func(l *slog.Logger) { l.WithGroup("auth").With("scheme", "basic").Info("m", "user", "bob") },
			`{"level":"INFO","msg":"m","auth":{"scheme":"[REDACTED]","user":"[REDACTED]"}}`},
		{"alternating With and WithGroup", func(l *slog.Logger) {
			l.WithGroup("req").With("password", "x", "id", 7).WithGroup("h").With("Cookie", "c").Info("m", "cookie", "c2", "ok", true)
		}, `{"level":"INFO","msg":"m","req":{"password":"[REDACTED]","id":7,"h":{"Cookie":"[REDACTED]","cookie":"[REDACTED]","ok":true}}}`},
		{"many attrs, secret last", func(l *slog.Logger) {
			l.Info("m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "token", "t")
		}, `{"level":"INFO","msg":"m","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"token":"[REDACTED]"}`},
		// near misses pass unchanged
		{"order number", func(l *slog.Logger) { l.Info("order", "order_id", "4111111111111112") },
			`{"level":"INFO","msg":"order","order_id":"4111111111111112"}`},
		{"word token", func(l *slog.Logger) { l.Info("the token was refreshed", "tokens_used", 512) },
			`{"level":"INFO","msg":"the token was refreshed","tokens_used":512}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, buf, _ := newJSONLogger(DefaultOptions())
			tt.log(l)
			if diff := cmp.Diff(tt.want+"\n", buf.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// recordCapture keeps the records it is given.
type recordCapture struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *recordCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *recordCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}
func (c *recordCapture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *recordCapture) WithGroup(string) slog.Handler      { return c }

func attrsOf(r slog.Record) []string {
	var out []string
	r.Attrs(func(a slog.Attr) bool {
		out = append(out, a.String())
		return true
	})
	return out
}

func TestHandlerRebuiltRecordKeepsEverythingElse(t *testing.T) {
	c := &recordCapture{}
	h := NewHandler(c, DefaultOptions())
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	r := slog.NewRecord(now, slog.LevelWarn, "m", 1234)
	r.AddAttrs(slog.Int("a", 1), slog.String("secret", "s"), slog.Int("b", 2), slog.Int("c", 3),
		slog.Int("d", 4), slog.Int("e", 5), slog.String("f", "password=x"))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	got := c.records[0]
	if !got.Time.Equal(now) || got.Level != slog.LevelWarn || got.Message != "m" || got.PC != 1234 {
		t.Errorf("record header changed: %v %v %q %v", got.Time, got.Level, got.Message, got.PC)
	}
	want := []string{"a=1", "secret=[REDACTED]", "b=2", "c=3", "d=4", "e=5", "f=password=[REDACTED]"}
	if diff := cmp.Diff(want, attrsOf(got)); diff != "" {
		t.Errorf("attrs (-want +got):\n%s", diff)
	}
	// The caller's record is untouched.
	if diff := cmp.Diff([]string{"a=1", "secret=s", "b=2", "c=3", "d=4", "e=5", "f=password=x"}, attrsOf(r)); diff != "" {
		t.Errorf("original record changed (-want +got):\n%s", diff)
	}
}

func TestHandlerStats(t *testing.T) {
	l, buf, h := newJSONLogger(DefaultOptions())
	bound := l.With("password", "p", "svc", "api")
	if s := h.Stats(); s.KeyMasked != 1 {
		t.Fatalf("after With: KeyMasked = %d, want 1", s.KeyMasked)
	}
	for range 10 {
		bound.Info("ok", "n", 1)
	}
	bound.Info("with jwt", "t", secretJWT)
	l.Info("two", "token", "a", "cookie", "b", "u", "https://x:y@z")
	got := h.Stats()
	want := Stats{
		Records:        12,
		RecordsChanged: 2,
		KeyMasked:      3,
		Patterns:       PatternCounts{JWT: 1, URLPassword: 1},
		KeyCacheHits:   got.KeyCacheHits,
		KeyCacheMisses: got.KeyCacheMisses,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	// Keys password, svc, n, t, token, cookie, u and the "x" of "x:y",
	// looked at by the key=value scanner, each missed once; n hit 9 times.
	if got.KeyCacheMisses != 8 || got.KeyCacheHits != 9 {
		t.Errorf("cache hits %d misses %d, want 9 and 8", got.KeyCacheHits, got.KeyCacheMisses)
	}
	if strings.Contains(buf.String(), secretJWT) || strings.Contains(buf.String(), `"p"`) {
		t.Errorf("secret in output:\n%s", buf)
	}
}

func TestHandlerZeroAllocsWithoutSecrets(t *testing.T) {
	h := NewHandler(slog.DiscardHandler, DefaultOptions())
	hw := h.WithAttrs([]slog.Attr{slog.String("service", "api"), slog.String("correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736")})
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.String("path", "/api/v1/orders/123?page=2&sort=asc"),
		slog.Int("status", 200), slog.Duration("latency", 1500*time.Microsecond), slog.Int64("bytes", 5120),
		slog.Bool("ok", true), slog.Any("err", errors.New("upstream: context canceled at 12:30:45")),
		slog.Group("client", slog.String("ip", "10.0.0.1"), slog.String("ua", "curl/8.5.0")),
		slog.Time("at", time.Now()), slog.Float64("ratio", 0.5), slog.Uint64("order", 1234567890123452))
	ctx := context.Background()
	for _, hh := range []slog.Handler{h, hw} {
		_ = hh.Handle(ctx, r) // fill the key cache
		if n := testing.AllocsPerRun(200, func() { _ = hh.Handle(ctx, r) }); n != 0 {
			t.Errorf("Handle allocates %v times per record without secrets, want 0", n)
		}
	}
	if s := h.Stats(); s.RecordsChanged != 0 {
		t.Errorf("RecordsChanged = %d, want 0", s.RecordsChanged)
	}
}

func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return NewHandler(slog.NewJSONHandler(&buf, nil), DefaultOptions())
	}
	result := func(t *testing.T) map[string]any {
		m := map[string]any{}
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

func TestComposesWithSlogMultiPipe(t *testing.T) {
	var buf bytes.Buffer
	sink := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: logtest.DropTime, Level: slog.LevelWarn})
	opts := defaultsWith(func(o *Options) { o.Replacement = "***" })
	h := slogmulti.Pipe(func(next slog.Handler) slog.Handler { return NewHandler(next, opts) }).Handler(sink)
	l := slog.New(h)
	if l.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled must follow the next handler")
	}
	l.Warn("w", "Set-Cookie", "sid=1")
	if got, want := buf.String(), `{"level":"WARN","msg":"w","Set-Cookie":"***"}`+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNilNextPanics(t *testing.T) {
	defer func() {
		if got, want := recover(), "redact: NewHandler: nil next handler"; got != want {
			t.Errorf("panic %v, want %q", got, want)
		}
	}()
	NewHandler(nil, DefaultOptions())
	t.Error("NewHandler(nil, ...) returned")
}

func TestAccessors(t *testing.T) {
	h := NewHandler(slog.DiscardHandler, DefaultOptions())
	if h.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled must follow the next handler")
	}
	if h.Redactor() == nil || h.WithGroup("") != h || h.WithAttrs(nil) != h {
		t.Error("accessors")
	}
}

// countingHandler counts what reaches it and fails on any planted secret.
type countingHandler struct {
	n, leaked atomic.Int64
}

func (c *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *countingHandler) Handle(_ context.Context, r slog.Record) error {
	c.n.Add(1)
	r.Attrs(func(a slog.Attr) bool {
		if v := a.Value.Resolve().String(); strings.Contains(v, "hunter2") || strings.Contains(v, secretAWS) {
			c.leaked.Add(1)
		}
		return true
	})
	return nil
}
func (c *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *countingHandler) WithGroup(string) slog.Handler      { return c }

func TestHandlerConcurrent(t *testing.T) {
	leakcheck.Check(t)
	sink := &countingHandler{}
	h := NewHandler(sink, defaultsWith(func(o *Options) { o.KeyCacheSize = 16 }))
	const workers = 4
	perWorker := 2000
	if testing.Short() {
		perWorker = 200
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := slog.New(h).With("worker", w)
			for i := range perWorker {
				switch i % 4 {
				case 0:
					l.Info("m", "password", "hunter2")
				case 1:
					l.Info("m", "note", "key "+secretAWS)
				default:
					l.Info("m", fmt.Sprintf("k%d", i%50), i)
				}
			}
		}()
	}
	wg.Wait()
	total := int64(workers * perWorker)
	s := h.Stats()
	if sink.n.Load() != total || s.Records != uint64(total) {
		t.Errorf("records: sink %d, stats %d, want %d", sink.n.Load(), s.Records, total)
	}
	if want := uint64(total / 2); s.RecordsChanged != want || s.KeyMasked != want/2 || s.Patterns.AWSAccessKey != want/2 {
		t.Errorf("changed %d keyMasked %d aws %d, want %d, %d, %d", s.RecordsChanged, s.KeyMasked, s.Patterns.AWSAccessKey, want, want/2, want/2)
	}
	if sink.leaked.Load() != 0 {
		t.Errorf("%d secrets leaked", sink.leaked.Load())
	}
}
