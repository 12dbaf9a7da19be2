package redact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/internal/snapshot"
)

// credentials hides its password from JSON only.
type credentials struct {
	User     string
	Password string `json:"-"`
}

// privateCredentials has unexported fields, which fmt's %+v shows.
type privateCredentials struct {
	user     string
	password string
}

// loudStringer shows a secret in its String method only.
type loudStringer struct{ S string }

func (l loudStringer) String() string { return "password=" + l.S }

// structKey is a map key type that JSON cannot encode.
type structKey struct{ K string }

// textSecret shows a secret in its MarshalText only; JSON writes its field.
type textSecret struct{ ID int }

func (textSecret) MarshalText() ([]byte, error) { return []byte("token=hunter2secret"), nil }

// formattedError shows a secret in its %+v form only.
type formattedError struct{}

func (formattedError) Error() string { return "login failed" }

func (formattedError) Format(f fmt.State, verb rune) { fmt.Fprint(f, "login failed password=hunter2") }

// loudString is a string type whose String method shows more than JSON.
type loudString string

func (l loudString) String() string { return "password=" + string(l) }

// namedString and namedInt are scalar types without methods.
type (
	namedString string
	namedInt    int64
)

// TestStructuredValuesWrittenAsJSONInEverySink checks that with redaction
// on, a structured value (anything of kind Any that is not a string,
// number, boolean, byte slice or plain error) is written as its JSON in a
// JSON sink, a text sink and a sink formatting with %+v, whether or not
// anything was masked; that a JSON sink writes the bytes slog.JSONHandler
// writes without redaction when nothing is masked; and that no sink shows
// a secret.
func TestStructuredValuesWrittenAsJSONInEverySink(t *testing.T) {
	frozen, _ := snapshot.Value(slog.AnyValue(privateCredentials{"bob", "hunter2"}))
	tests := []struct {
		name   string
		v      any
		json   string // as a JSON sink writes it
		text   string // as a %+v sink writes it (a text sink quotes it if needed)
		masked bool
	}{
		{"json:- field", credentials{"bob", "hunter2"}, `{"User":"bob"}`, `{"User":"bob"}`, false},
		{"unexported fields", privateCredentials{"bob", "hunter2"}, `{}`, `{}`, false},
		{"pointer to unexported fields", &privateCredentials{"bob", "hunter2"}, `{}`, `{}`, false},
		{"stringer", loudStringer{"x"}, `{"S":"x"}`, `{"S":"x"}`, false},
		{"text marshaler", textSecret{ID: 3}, `"token=[REDACTED]"`, `"token=[REDACTED]"`, true},
		{"map with struct keys", map[structKey]string{{"password"}: "hunter2"}, `"!ERROR:json: unsupported type: map[redact.structKey]string"`, `!ERROR:json: unsupported type: map[redact.structKey]string`, false},
		{"snapshot of unexported fields", frozen.Any(), `{}`, `{}`, false},
		{"slice", []int{1, 2}, `[1,2]`, `[1,2]`, false},
		{"nil pointer", (*credentials)(nil), `null`, `null`, false},
		{"struct with a secret", struct{ Token string }{"hunter2"}, `{"Token":"[REDACTED]"}`, `{"Token":"[REDACTED]"}`, true},
		{"named string type", namedString("a b"), `"a b"`, `a b`, false},
		{"named int type", namedInt(7), `7`, `7`, false},
		{"string type with a String method", loudString("x"), `"x"`, `"x"`, false},
	}
	redacted := func(h slog.Handler) slog.Handler { return NewHandler(h, DefaultOptions()) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jsonLine := logLine(t, redacted, jsonSink, tt.v)
			if diff := cmp.Diff(`{"v":`+tt.json+"}", jsonLine); diff != "" {
				t.Errorf("JSON sink (-want +got):\n%s", diff)
			}
			if !tt.masked {
				plain := logLine(t, func(h slog.Handler) slog.Handler { return h }, jsonSink, tt.v)
				if diff := cmp.Diff(plain, jsonLine); diff != "" {
					t.Errorf("JSON sink differs from slog.JSONHandler's (-plain +redacted):\n%s", diff)
				}
			}
			wantText := tt.text
			if strings.ContainsAny(wantText, " \"=") {
				wantText = strconv.Quote(wantText)
			}
			if diff := cmp.Diff("v="+wantText, logLine(t, redacted, textSink, tt.v)); diff != "" {
				t.Errorf("text sink (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("v="+tt.text, logLine(t, redacted, fmtSink, tt.v)); diff != "" {
				t.Errorf("%%+v sink (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorsWrittenAsTheirText checks that an error is written as its
// masked Error() text in every sink, even one whose own text form (a
// fmt.Formatter) shows more.
func TestErrorsWrittenAsTheirText(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", errors.New("bad request"), "bad request"},
		{"secret", fmt.Errorf("wrap: %w", errors.New("password=hunter2")), "wrap: password=[REDACTED]"},
		{"formatter", formattedError{}, "login failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw := func(h slog.Handler) slog.Handler { return NewHandler(h, DefaultOptions()) }
			if diff := cmp.Diff(`{"v":`+strconv.Quote(tt.want)+"}", logLine(t, mw, jsonSink, tt.err)); diff != "" {
				t.Errorf("JSON sink (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("v="+strconv.Quote(tt.want), logLine(t, mw, textSink, tt.err)); diff != "" {
				t.Errorf("text sink (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("v="+tt.want, logLine(t, mw, fmtSink, tt.err)); diff != "" {
				t.Errorf("%%+v sink (-want +got):\n%s", diff)
			}
		})
	}
}

// A sink makes a handler that writes to buf with time, level and message
// left out.
type sink func(buf *bytes.Buffer) slog.Handler

func dropBuiltins(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}

func jsonSink(buf *bytes.Buffer) slog.Handler {
	return slog.NewJSONHandler(buf, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})
}

func textSink(buf *bytes.Buffer) slog.Handler {
	return slog.NewTextHandler(buf, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})
}

func fmtSink(buf *bytes.Buffer) slog.Handler { return &fmtHandler{buf: buf} }

// fmtHandler writes each attribute as key=%+v of its value, as handlers
// that format values with fmt do.
type fmtHandler struct{ buf *bytes.Buffer }

func (h *fmtHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *fmtHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(h.buf, "%s=%+v", a.Key, a.Value.Any())
		return true
	})
	return nil
}
func (h *fmtHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *fmtHandler) WithGroup(string) slog.Handler      { return h }

// logLine logs v under the key "v" through mw in front of the sink and
// returns the line written, without its newline.
func logLine(t *testing.T, mw func(slog.Handler) slog.Handler, s sink, v any) string {
	t.Helper()
	var buf bytes.Buffer
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Any("v", v))
	if err := mw(s(&buf)).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
