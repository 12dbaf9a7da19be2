package otlpsink

import (
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.uber.org/goleak"
)

// checkNoLeak fails the test if goroutines started during it are still
// running once it and its cleanups are done. Register it first.
func checkNoLeak(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

func TestNewStackRefuses(t *testing.T) {
	checkNoLeak(t)
	withReplaceAttr := plainConfig(true)
	withReplaceAttr.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr { return a }
	invalid := plainConfig(true)
	invalid.Format = 7
	tests := []struct {
		name string
		cfg  func() (Options, any)
		want string
	}{
		{"negative QueueSize", func() (Options, any) { return Options{QueueSize: -1}, nil }, "otlpsink: Options.QueueSize -1 is negative (0 means the default)"},
		{"negative BatchSize", func() (Options, any) { return Options{BatchSize: -1}, nil }, "otlpsink: Options.BatchSize -1 is negative"},
		{"negative ExportInterval", func() (Options, any) { return Options{ExportInterval: -time.Second}, nil }, "otlpsink: Options.ExportInterval -1s is negative"},
		{"negative ExportTimeout", func() (Options, any) { return Options{ExportTimeout: -time.Second}, nil }, "otlpsink: Options.ExportTimeout -1s is negative"},
		{"two negative", func() (Options, any) { return Options{QueueSize: 10, BatchSize: -2, ExportTimeout: -1}, nil },
			"otlpsink: Options.BatchSize -2 is negative (0 means the default)\notlpsink: Options.ExportTimeout -1ns is negative (0 means the default)"},
		{"QueueSize too large", func() (Options, any) { return Options{QueueSize: 1<<20 + 1}, nil }, "otlpsink: Options.QueueSize 1048577 is more than 1048576: the batch processor allocates"},
		{"BatchSize over QueueSize", func() (Options, any) { return Options{QueueSize: 10, BatchSize: 11}, nil }, "otlpsink: Options.BatchSize 11 is more than QueueSize 10"},
		{"BatchSize over the default QueueSize", func() (Options, any) { return Options{BatchSize: 4096}, nil }, "BatchSize 4096 is more than QueueSize 2048"},
		{"unparsable endpoint", func() (Options, any) { return Options{Endpoint: "http://[::1"}, nil }, "otlpsink: Options.Endpoint does not parse as a URL: missing"},
		{"endpoint without scheme", func() (Options, any) { return Options{Endpoint: "localhost:4318"}, nil }, "the scheme must be http or https"},
		{"grpc scheme", func() (Options, any) { return Options{Endpoint: "grpc://host:4317"}, nil }, "the scheme must be http or https"},
		{"no host", func() (Options, any) { return Options{Endpoint: "http:///v1"}, nil }, "no host"},
		{"user information", func() (Options, any) { return Options{Endpoint: "https://u:secret@host"}, nil }, `"https://u:xxxxx@host": user information is not allowed`},
		{"query", func() (Options, any) { return Options{Endpoint: "http://host?x=1"}, nil }, "a query is not allowed"},
		{"fragment", func() (Options, any) { return Options{Endpoint: "http://host#f"}, nil }, "a fragment is not allowed"},
		{"logs path", func() (Options, any) { return Options{Endpoint: "http://host:4318/v1/logs"}, nil }, `Options.Endpoint "http://host:4318/v1/logs": give the Collector's base URL, without /v1/logs`},
		{"logs path and slash", func() (Options, any) { return Options{Endpoint: "https://host/otlp/v1/logs/"}, nil }, "without /v1/logs"},
		{"exporter refuses its options", func() (Options, any) {
			return Options{ExporterOptions: []otlploghttp.Option{otlploghttp.WithInsecure(), otlploghttp.WithTLSClientConfig(&tls.Config{})}}, nil
		}, "otlpsink: the OTLP/HTTP exporter:"},
		{"ReplaceAttr", func() (Options, any) { return Options{}, withReplaceAttr }, "otlpsink: slogstack:"},
		{"invalid Config", func() (Options, any) { return Options{}, invalid }, "otlpsink: slogstack:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, cfg := tt.cfg()
			c := plainConfig(true)
			if cfg != nil {
				c = cfg.(slogstack.Config)
			}
			s, err := NewStack(context.Background(), c, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewStack: %v, want an error containing %q", err, tt.want)
			}
			if s != nil {
				t.Errorf("NewStack returned a Stack with its error")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestLogsURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://host:4318", "http://host:4318/v1/logs"},
		{"http://host:4318/", "http://host:4318/v1/logs"},
		{"https://host/otlp", "https://host/otlp/v1/logs"},
		{"https://host/otlp/", "https://host/otlp/v1/logs"},
		{"http://[::1]:4318", "http://[::1]:4318/v1/logs"},
	}
	for _, tt := range tests {
		got, err := logsURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("logsURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestShutdownLeavesNothing: after Shutdown (and the server closed), no
// goroutine of the pipeline is left, healthy or stalled.
func TestShutdownLeavesNothing(t *testing.T) {
	for _, stall := range []bool{false, true} {
		t.Run(map[bool]string{false: "healthy", true: "stalled"}[stall], func(t *testing.T) {
			checkNoLeak(t)
			c := newCollector(t)
			if stall {
				c.setAnswer(answerStall)
			}
			cfg := plainConfig(true)
			cfg.Aggregation = true
			s := newTestStack(t, cfg, testOptions(c))
			for i := range 100 {
				s.Logger().Info("record", "i", i)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if stall {
				<-c.arrived
			}
			err := s.Shutdown(ctx)
			if (err != nil) != stall {
				t.Errorf("Shutdown: %v", err)
			}
			checkConserved(t, s.ExportStats())
		})
	}
}
