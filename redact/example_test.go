package redact_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"

	slogmulti "github.com/samber/slog-multi"

	"github.com/slogstack/slogstack/redact"
)

// withoutTime keeps example output stable.
func withoutTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func ExampleNewHandler() {
	sink := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: withoutTime})
	logger := slog.New(redact.NewHandler(sink, redact.DefaultOptions()))

	logger.Info("login", "user", "bob", "Password", "hunter2")
	logger.With("apiKey", "k-123").Info("call", "upstream", "https://svc:s3cret@billing.internal/v1")
	logger.Error("payment failed", "err", errors.New("card 4111 1111 1111 1111 declined"))
	logger.Info("usage", "tokens_used", 512, "order", "4111111111111112")
	// Output:
	// {"level":"INFO","msg":"login","user":"bob","Password":"[REDACTED]"}
	// {"level":"INFO","msg":"call","apiKey":"[REDACTED]","upstream":"https://svc:[REDACTED]@billing.internal/v1"}
	// {"level":"ERROR","msg":"payment failed","err":"card [REDACTED] declined"}
	// {"level":"INFO","msg":"usage","tokens_used":512,"order":"4111111111111112"}
}

// Composing with slogmulti.Pipe: the middleware is a closure over the options.
func ExampleNewHandler_slogmulti() {
	opts := redact.DefaultOptions()
	opts.Replacement = "***"
	sink := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: withoutTime})
	logger := slog.New(slogmulti.
		Pipe(func(next slog.Handler) slog.Handler { return redact.NewHandler(next, opts) }).
		Handler(sink))

	logger.WithGroup("request").Info("received", "X-Auth-Token", "t0k3n", "path", "/cb?code=1&access_token=abc")
	// Output:
	// {"level":"INFO","msg":"received","request":{"X-Auth-Token":"***","path":"/cb?code=1&access_token=***"}}
}

func ExampleOptions() {
	opts := redact.DefaultOptions()
	opts.Keys = slices.DeleteFunc(opts.Keys, func(k string) bool { return k == "session" }) // one default rule fewer
	opts.Keys = append(opts.Keys, "customer_email")                                         // one more key rule
	opts.SafeKeys = []string{"token_count"}                                                 // a key a rule would catch
	opts.DisablePatterns = []string{"card"}                                                 // order numbers look like cards
	opts.Patterns = []redact.CustomPattern{
		// Employee numbers: mask the digits, keep the prefix.
		{Literal: "EMP-", Regexp: regexp.MustCompile(`EMP-(\d{6})`)},
	}
	sink := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: withoutTime})
	logger := slog.New(redact.NewHandler(sink, opts))

	logger.Info("m", "customerEmail", "a@b.c", "session", "s1", "token_count", 3, "note", "by EMP-123456", "order", "4111111111111111")
	// Output:
	// {"level":"INFO","msg":"m","customerEmail":"[REDACTED]","session":"s1","token_count":3,"note":"by EMP-[REDACTED]","order":"4111111111111111"}
}

func ExampleRedactor_RedactJSON() {
	r := redact.NewRedactor(redact.DefaultOptions())
	body := []byte(`{"user":"bob","password":"hunter2","card":{"cvv":123,"last4":"1111"},"callback":"https://u:p@x.io"}`)
	out, changed := r.RedactJSON(body)
	fmt.Println(changed, string(out))
	// Output:
	// true {"user":"bob","password":"[REDACTED]","card":{"cvv":"[REDACTED]","last4":"1111"},"callback":"https://u:[REDACTED]@x.io"}
}

func ExampleRedactor_RedactString() {
	r := redact.NewRedactor(redact.DefaultOptions())
	s, changed := r.RedactString("GET /login?user=bob&password=hunter2")
	fmt.Println(changed, s)
	s, changed = r.RedactString("the token was refreshed")
	fmt.Println(changed, s)
	// Output:
	// true GET /login?user=bob&password=[REDACTED]
	// false the token was refreshed
}

func ExampleHandler_Stats() {
	h := redact.NewHandler(slog.NewJSONHandler(io.Discard, nil), redact.DefaultOptions())
	logger := slog.New(h)
	logger.Info("a", "password", "x")
	logger.Info("b", "header", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
	logger.Info("c", "n", 1)
	s := h.Stats()
	fmt.Println(s.Records, s.RecordsChanged, s.KeyMasked, s.Patterns.JWT)
	// Output:
	// 3 2 1 1
}
