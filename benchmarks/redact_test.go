package benchmarks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/redact"
)

// redactRow is one way of masking in front of handler.JSONHandler.
type redactRow struct {
	name string
	open func(w io.Writer) slog.Handler
}

var redactRows = []redactRow{
	{"plain", func(w io.Writer) slog.Handler { return handler.NewJSONHandler(w, nil) }},
	{"redact", func(w io.Writer) slog.Handler {
		return redact.NewHandler(handler.NewJSONHandler(w, nil), redact.DefaultOptions())
	}},
	{"regexp-replaceattr", func(w io.Writer) slog.Handler {
		return handler.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: NaiveRedactReplaceAttr})
	}},
}

// errSecret is the error of the secret payload; it is built once, as a
// service would wrap an error it already has.
var errSecret = errors.New("charge declined for card " + SecretCard)

// logRedactPayload logs the standard payload through l, plus, when secret
// is set, an authorization header with a bearer token and an error whose
// text carries a card number.
func logRedactPayload(ctx context.Context, l *slog.Logger, secret bool) {
	if !secret {
		LogAttrs(ctx, l, slog.LevelInfo)
		return
	}
	l.LogAttrs(ctx, slog.LevelInfo, Message,
		slog.String("method", Method),
		slog.String("path", Path),
		slog.Int("status", Status),
		slog.Duration("latency", Latency),
		slog.Int64("bytes", Bytes),
		slog.Bool("ok", OK),
		slog.String("authorization", "Bearer "+SecretToken),
		slog.Any("error", errSecret),
	)
}

// BenchmarkRedact compares redact.Handler with no redaction and with a
// naive ReplaceAttr of regular expressions, all over handler.JSONHandler
// to io.Discard, on the standard payload (clean) and on one carrying
// secrets (secret).
func BenchmarkRedact(b *testing.B) {
	for _, row := range redactRows {
		for _, secret := range []bool{false, true} {
			for _, parallel := range []bool{false, true} {
				payload := "clean"
				if secret {
					payload = "secret"
				}
				b.Run(row.name+"/"+payload+"-"+modeName(parallel), func(b *testing.B) {
					l := Bind(slog.New(row.open(io.Discard)))
					ctx := context.Background()
					runSetup(b, Setup{Log: func() { logRedactPayload(ctx, l, secret) }}, parallel, false)
				})
			}
		}
	}
}

// TestRedactRowsMask checks that both masking rows hide the secrets and
// that the plain row, the control, does not.
func TestRedactRowsMask(t *testing.T) {
	for _, row := range redactRows {
		t.Run(row.name, func(t *testing.T) {
			var buf bytes.Buffer
			logRedactPayload(context.Background(), Bind(slog.New(row.open(&buf))), true)
			out := buf.String()
			leaked := strings.Contains(out, SecretToken) || strings.Contains(out, SecretCard)
			if leaked != (row.name == "plain") {
				t.Errorf("secrets leaked: %v, want %v; output:\n%s", leaked, row.name == "plain", out)
			}
			checkPayload(t, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), false)
		})
	}
}
