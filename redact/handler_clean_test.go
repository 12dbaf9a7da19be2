package redact

import (
	"context"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// attrsRecorder keeps the attributes of the last record it handled.
type attrsRecorder struct{ attrs []slog.Attr }

func (h *attrsRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *attrsRecorder) Handle(_ context.Context, r slog.Record) error {
	h.attrs = h.attrs[:0]
	r.Attrs(func(a slog.Attr) bool {
		h.attrs = append(h.attrs, slog.Attr{Key: a.Key, Value: a.Value.Resolve()})
		return true
	})
	return nil
}
func (h *attrsRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *attrsRecorder) WithGroup(string) slog.Handler      { return h }

// TestHandlerAttrMatchesRedactAttr checks, one attribute kind at a time,
// that a record's attribute comes out of Handler exactly as RedactAttr
// masks it, with the same counters: Handle decides most clean attributes
// by a shortcut, which must agree with the full path for every kind.
func TestHandlerAttrMatchesRedactAttr(t *testing.T) {
	cardInt := int64(4111111111111111)
	attrs := []slog.Attr{
		slog.String("path", "/api/v1/users/42"),
		slog.String("header", "Bearer "+secretBearer),
		slog.String("note", "ticket ACME-12345 opened"),
		slog.String("password", "hunter2"),
		slog.Int64("n", 42),
		slog.Int64("neg", -cardInt),
		slog.Int64("card", cardInt),
		slog.Uint64("ucard", uint64(cardInt)),
		slog.Uint64("u", 7),
		slog.Int64("pin", 1234),
		slog.Bool("ok", true),
		slog.Float64("ratio", 0.5),
		slog.Duration("latency", 1234*time.Microsecond),
		slog.Time("at", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		slog.Any("list", []string{"a", "Bearer " + secretBearer}),
		slog.Group("g", slog.String("token", "x"), slog.Int("k", 1)),
		slog.String("url=https://u:p4ss@h/", "v"),
	}
	custom := []CustomPattern{{Literal: "ACME-", Regexp: regexp.MustCompile(`(ACME-\d+)`)}}
	for _, o := range []struct {
		name string
		opts Options
	}{
		{"defaults", DefaultOptions()},
		{"custom pattern", defaultsWith(func(o *Options) { o.Patterns = custom })},
		{"card pattern off", defaultsWith(func(o *Options) { o.DisablePatterns = []string{"card"} })},
		{"no key cache", defaultsWith(func(o *Options) { o.KeyCacheSize = 0 })},
	} {
		for _, a := range attrs {
			t.Run(o.name+"/"+a.Key, func(t *testing.T) {
				ref := NewRedactor(o.opts)
				want, wantChanged := ref.RedactAttr(a)
				want.Value = want.Value.Resolve()

				rec := &attrsRecorder{}
				h := NewHandler(rec, o.opts)
				r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
				r.AddAttrs(a)
				if err := h.Handle(context.Background(), r); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]slog.Attr{want}, rec.attrs, cmp.Comparer(func(x, y slog.Attr) bool {
					return x.Key == y.Key && x.Value.Kind() == y.Value.Kind() && x.Value.String() == y.Value.String()
				})); diff != "" {
					t.Errorf("attribute (-RedactAttr +Handler):\n%s", diff)
				}
				got := h.Stats()
				wantStats := ref.Stats()
				wantStats.Records = 1
				if wantChanged {
					wantStats.RecordsChanged = 1
				}
				if diff := cmp.Diff(wantStats, got); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
			})
		}
	}
}
