package benchmarks

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	phuslu "github.com/phuslu/log"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"

	"github.com/slogstack/slogstack/handler"
)

// Shape is one payload shape of the public slog benchmark suites, logged
// at Info with LogAttrs on a logger over the handler Bind derives.
type Shape struct {
	// Name identifies the shape in benchmark names and tables.
	Name string
	// Attrs are the attributes of every call.
	Attrs []slog.Attr
	// Bind derives the handler the calls log through, once, as a service
	// binds its logger (With, WithGroup); nil for the handler itself.
	Bind func(slog.Handler) slog.Handler
	// AddSource turns on the handler's source option.
	AddSource bool
}

// Handler returns h as the shape binds it.
func (s Shape) Handler(h slog.Handler) slog.Handler {
	if s.Bind == nil {
		return h
	}
	return s.Bind(h)
}

// shapeStruct is the struct value of the attributes of every kind; it has
// no MarshalJSON, so a handler encodes it with encoding/json.
type shapeStruct struct {
	ID   int      `json:"id"`
	Tags []string `json:"tags"`
}

// The attribute values of the shapes: variables, so that no library can
// have them folded at compile time.
var (
	shapeTime    = time.Date(2026, 12, 5, 3, 4, 5, 123456789, time.UTC)
	errShape     = errors.New("connection reset by peer")
	shapeStructV = shapeStruct{ID: 42, Tags: []string{"a", "b"}}
)

// everyKind returns n attributes cycling through every slog kind (string,
// int64, uint64, float64, bool, duration, time, an error, a struct, a
// group of two), each with its own key.
func everyKind(n int) []slog.Attr {
	attrs := make([]slog.Attr, n)
	for i := range attrs {
		key := fmt.Sprintf("k%02d", i)
		switch i % 10 {
		case 0:
			attrs[i] = slog.String(key, Path)
		case 1:
			attrs[i] = slog.Int64(key, Bytes)
		case 2:
			attrs[i] = slog.Uint64(key, uint64(Bytes)<<20)
		case 3:
			attrs[i] = slog.Float64(key, 3.14159)
		case 4:
			attrs[i] = slog.Bool(key, OK)
		case 5:
			attrs[i] = slog.Duration(key, Latency)
		case 6:
			attrs[i] = slog.Time(key, shapeTime)
		case 7:
			attrs[i] = slog.Any(key, errShape)
		case 8:
			attrs[i] = slog.Any(key, shapeStructV)
		case 9:
			attrs[i] = slog.Group(key, slog.String("method", Method), slog.Int("status", Status))
		}
	}
	return attrs
}

// bigGroup returns one group nested three deep with 24 leaves, as a
// request dump logs headers, user and timings.
func bigGroup() slog.Attr {
	var headers, user, timings []any
	for i := range 8 {
		headers = append(headers, slog.String(fmt.Sprintf("h%d", i), CorrelationID))
		user = append(user, slog.Int(fmt.Sprintf("u%d", i), Status+i))
		timings = append(timings, slog.Duration(fmt.Sprintf("t%d", i), Latency*time.Duration(i+1)))
	}
	return slog.Group("request",
		slog.Group("headers", headers...),
		slog.Group("user", slog.Group("profile", user...)),
		slog.Group("timings", timings...),
	)
}

// Shapes returns the payload shapes, in table order: a bare message; 5,
// 10 and 40 attributes of every kind; one big nested group; a logger bound
// With 10 attributes then 5 per call; a logger bound WithGroup then 5 per
// call; 5 attributes with AddSource.
func Shapes() []Shape {
	return []Shape{
		{Name: "bare"},
		{Name: "attrs5", Attrs: everyKind(5)},
		{Name: "attrs10", Attrs: everyKind(10)},
		{Name: "attrs40", Attrs: everyKind(40)},
		{Name: "biggroup", Attrs: []slog.Attr{bigGroup()}},
		{Name: "with", Attrs: everyKind(5), Bind: func(h slog.Handler) slog.Handler {
			bound := everyKind(10)
			for i := range bound {
				bound[i].Key = "w" + bound[i].Key
			}
			return h.WithAttrs(bound)
		}},
		{Name: "withgroup", Attrs: everyKind(5), Bind: func(h slog.Handler) slog.Handler {
			return h.WithGroup("req")
		}},
		{Name: "source", Attrs: everyKind(5), AddSource: true},
	}
}

// ShapeTarget is a slog handler under test on the shapes.
type ShapeTarget struct {
	// Name identifies the target in benchmark names and tables.
	Name string
	// New returns the handler writing to w with AddSource as given.
	New func(w io.Writer, addSource bool) slog.Handler
}

// ShapeTargets returns the handlers compared on the shapes:
// slog.JSONHandler (the reference), handler.JSONHandler, phuslu/log's slog
// handler and zap's JSON core behind zapslog.
func ShapeTargets() []ShapeTarget {
	return []ShapeTarget{
		{"slog-json", func(w io.Writer, src bool) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{AddSource: src})
		}},
		{SlogstackJSONName, func(w io.Writer, src bool) slog.Handler {
			return handler.NewJSONHandler(w, &slog.HandlerOptions{AddSource: src})
		}},
		{"phuslu-slog", func(w io.Writer, src bool) slog.Handler {
			return phuslu.SlogNewJSONHandler(w, &slog.HandlerOptions{AddSource: src})
		}},
		{"zapslog", func(w io.Writer, src bool) slog.Handler {
			return zapslog.NewHandler(zapCore(zapcore.AddSync(w)), zapslog.WithCaller(src))
		}},
	}
}
