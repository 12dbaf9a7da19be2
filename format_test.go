package slogstack

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

func TestFormatString(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		want string
	}{
		{FormatJSON, "json"},
		{FormatText, "text"},
		{Format(2), "Format(2)"},
		{Format(-1), "Format(-1)"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("Format(%d).String() = %q, want %q", int(tc.f), got, tc.want)
		}
	}
}

// TestTextFormatMatchesSlogTextHandler checks that FormatText writes
// exactly what slog.TextHandler writes with the same options, with every
// other feature off, and with the async byte queue under it.
func TestTextFormatMatchesSlogTextHandler(t *testing.T) {
	replace := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == "n" {
			return slog.String("n", "replaced")
		}
		return a
	}
	asyncOn := Config{Format: FormatText, Async: true, AsyncOptions: DefaultConfig().AsyncOptions}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"text", Config{Format: FormatText}},
		{"text debug", Config{Format: FormatText, Level: slog.LevelDebug}},
		{"text source", Config{Format: FormatText, AddSource: true}},
		{"text replace", Config{Format: FormatText, ReplaceAttr: replace}},
		{"text async", asyncOn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			var got, want bytes.Buffer
			s, err := NewStack(&got, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			handlerScript(s.Handler())
			handlerScript(slog.NewTextHandler(&want, &slog.HandlerOptions{
				Level: tc.cfg.Level, AddSource: tc.cfg.AddSource, ReplaceAttr: tc.cfg.ReplaceAttr,
			}))
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if want.Len() == 0 {
				t.Fatal("the script wrote nothing")
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("output differs from slog.TextHandler (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTextFormatOneWritePerRecord checks what the async byte queue relies
// on: slog.TextHandler hands each record to the writer in one Write call,
// ending in its newline, even for a record with a multi-line value.
func TestTextFormatOneWritePerRecord(t *testing.T) {
	var w writeRecorder
	s, err := NewStack(&w, Config{Format: FormatText, ReplaceAttr: logtest.DropTime})
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("one", "k", "v")
	s.Logger().Error("two", "stack", "a\n\tb:1\n")
	want := []string{"level=INFO msg=one k=v\n", "level=ERROR msg=two stack=\"a\\n\\tb:1\\n\"\n"}
	if diff := cmp.Diff(want, w.writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// writeRecorder records each Write call's bytes.
type writeRecorder struct{ writes []string }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// TestTextFormatDefaultConfig checks DefaultConfig with FormatText end to
// end: every layer works over the text handler (redaction, the async
// queue), and String names it.
func TestTextFormatDefaultConfig(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.Format, cfg.ReplaceAttr = FormatText, logtest.DropTime
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "sampling.Handler -> scope.Handler -> aggregation.Handler -> redact.Handler -> slog.TextHandler -> async.Writer -> io.Writer"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	s.Logger().Warn("login", "user", "ada", "password", "hunter2")
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "level=WARN msg=login user=ada password=[REDACTED]\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestFormatIgnoredWithSink checks that NewStackWithSink accepts either
// format and leaves the encoding to the sink.
func TestFormatIgnoredWithSink(t *testing.T) {
	var out logtest.Buffer
	s, err := NewStackWithSink(out.JSONHandler(nil), Config{Format: FormatText})
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("hello")
	if got := out.String(); !strings.HasPrefix(got, `{"level":"INFO","msg":"hello"}`) {
		t.Errorf("sink output %q, want the sink's JSON", got)
	}
	if got := s.String(); got != "sink" {
		t.Errorf("String() = %q, want %q", got, "sink")
	}
}

func TestValidateFormat(t *testing.T) {
	for _, tc := range []struct {
		f       Format
		wantErr []string
	}{
		{FormatJSON, nil},
		{FormatText, nil},
		{Format(2), []string{"slogstack: Format is Format(2); it must be FormatJSON or FormatText"}},
		{Format(-1), []string{"slogstack: Format is Format(-1); it must be FormatJSON or FormatText"}},
	} {
		if diff := cmp.Diff(tc.wantErr, joinedMessages(Config{Format: tc.f}.Validate())); diff != "" {
			t.Errorf("Validate with Format %v (-want +got):\n%s", tc.f, diff)
		}
		_, err := NewStack(io.Discard, Config{Format: tc.f})
		if (err != nil) != (tc.wantErr != nil) {
			t.Errorf("NewStack with Format %v: error %v", tc.f, err)
		}
	}
}
