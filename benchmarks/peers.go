package benchmarks

import (
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	phuslu "github.com/phuslu/log"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/diode"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// Peer queue sizes, as in the libraries' documentation and the published
// peer measurements: zerolog's diode holds 10000 records and polls every
// 10 ms; zap's BufferedWriteSyncer buffers 256 KiB.
const (
	DiodeSize        = 10000
	DiodePoll        = 10 * time.Millisecond
	ZapBufferSize    = 256 << 10
	ZapFlushInterval = 30 * time.Second
)

// Floor logs through FloorHandler: slog.Logger's own cost.
var Floor = Target{Name: "floor", Open: func(io.Writer, Options) Setup {
	return slogSetup(FloorHandler{}, slog.LevelInfo)
}}

// SlogDiscard logs through slog.DiscardHandler: a call that is disabled
// before a Record is built.
var SlogDiscard = Target{Name: "slog-discard", Open: func(io.Writer, Options) Setup {
	return slogSetup(slog.DiscardHandler, slog.LevelInfo)
}}

// SlogJSON logs through slog.JSONHandler: the reference of every ratio.
var SlogJSON = Target{Name: "slog-json", Source: true, Open: func(w io.Writer, o Options) Setup {
	return slogSetup(slog.NewJSONHandler(w, &slog.HandlerOptions{AddSource: o.AddSource}), slog.LevelInfo)
}}

// zapCore returns zap's production JSON core writing to ws at Info.
func zapCore(ws zapcore.WriteSyncer) zapcore.Core {
	return zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), ws, zap.InfoLevel)
}

// zapSetup logs the payload through a zap.Logger over core.
func zapSetup(core zapcore.Core, o Options) Setup {
	var opts []zap.Option
	if o.AddSource {
		opts = append(opts, zap.AddCaller())
	}
	l := zap.New(core, opts...).With(zap.String("service", Service), zap.String("correlation_id", CorrelationID))
	return Setup{Log: func() {
		l.Info(Message,
			zap.String("method", Method),
			zap.String("path", Path),
			zap.Int("status", Status),
			zap.Duration("latency", Latency),
			zap.Int64("bytes", Bytes),
			zap.Bool("ok", OK),
		)
	}}
}

// Zap logs through zap's production JSON encoder and core (no sampler).
var Zap = Target{Name: "zap", Source: true, Open: func(w io.Writer, o Options) Setup {
	return zapSetup(zapCore(zapcore.AddSync(w)), o)
}}

// ZapSlog logs through slog.Logger over zapslog.Handler over zap's core.
var ZapSlog = Target{Name: "zapslog", Source: true, Open: func(w io.Writer, o Options) Setup {
	return slogSetup(zapslog.NewHandler(zapCore(zapcore.AddSync(w)), zapslog.WithCaller(o.AddSource)), slog.LevelInfo)
}}

// ZapBuffered logs through zap's core over a BufferedWriteSyncer of
// ZapBufferSize bytes; Close stops it, which flushes.
var ZapBuffered = Target{Name: "zap-buffered", Source: true, Open: func(w io.Writer, o Options) Setup {
	ws := &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(w), Size: ZapBufferSize, FlushInterval: ZapFlushInterval}
	s := zapSetup(zapCore(ws), o)
	s.Close = func() (uint64, error) { return 0, ws.Stop() }
	return s
}}

// zerologSetup logs the payload through a zerolog.Logger on w.
func zerologSetup(w io.Writer, o Options) Setup {
	c := zerolog.New(w).With().Timestamp()
	if o.AddSource {
		c = c.Caller()
	}
	l := c.Str("service", Service).Str("correlation_id", CorrelationID).Logger()
	return Setup{Log: func() {
		l.Info().
			Str("method", Method).
			Str("path", Path).
			Int("status", Status).
			Dur("latency", Latency).
			Int64("bytes", Bytes).
			Bool("ok", OK).
			Msg(Message)
	}}
}

// Zerolog logs through zerolog's own API.
var Zerolog = Target{Name: "zerolog", Source: true, Open: func(w io.Writer, o Options) Setup {
	return zerologSetup(w, o)
}}

// ZerologDiode logs through zerolog over its diode writer (DiodeSize
// records, polled every DiodePoll), which drops records when full and
// reports them to an alerter; Close drains it and returns that count.
var ZerologDiode = Target{Name: "zerolog-diode", Source: true, Open: func(w io.Writer, o Options) Setup {
	var dropped atomic.Uint64
	dw := diode.NewWriter(noClose{w}, DiodeSize, DiodePoll, func(missed int) { dropped.Add(uint64(missed)) })
	s := zerologSetup(dw, o)
	s.Close = func() (uint64, error) {
		err := dw.Close()
		return dropped.Load(), err
	}
	return s
}}

// Phuslu logs through phuslu/log's own API.
var Phuslu = Target{Name: "phuslu", Source: true, Open: func(w io.Writer, o Options) Setup {
	l := phuslu.Logger{
		Level:   phuslu.InfoLevel,
		Writer:  phuslu.IOWriter{Writer: w},
		Context: phuslu.NewContext(nil).Str("service", Service).Str("correlation_id", CorrelationID).Value(),
	}
	if o.AddSource {
		l.Caller = 1
	}
	return Setup{Log: func() {
		l.Info().
			Str("method", Method).
			Str("path", Path).
			Int("status", Status).
			Dur("latency", Latency).
			Int64("bytes", Bytes).
			Bool("ok", OK).
			Msg(Message)
	}}
}}

// PhusluSlog logs through slog.Logger over phuslu/log's slog JSON handler.
var PhusluSlog = Target{Name: "phuslu-slog", Source: true, Open: func(w io.Writer, o Options) Setup {
	return slogSetup(phuslu.SlogNewJSONHandler(w, &slog.HandlerOptions{AddSource: o.AddSource}), slog.LevelInfo)
}}

// noClose hides an io.Closer from wrappers that close their writer, so the
// benchmark keeps ownership of the file.
type noClose struct{ io.Writer }
