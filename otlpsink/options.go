package otlpsink

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// Default sizes and durations of the batch processor, used for the
// Options fields left at 0.
const (
	defaultQueueSize      = 2048
	defaultBatchSize      = 512
	defaultExportInterval = time.Second
	defaultExportTimeout  = 30 * time.Second
)

// Options configure the pipeline behind the stack: where records go, the
// resource that describes the process, the batch processor's sizes and the
// exporter's own options. The zero value ships to the endpoint the
// OTEL_EXPORTER_OTLP_* variables name (or https://localhost:4318, the
// exporter's default) with the default sizes.
type Options struct {
	// Endpoint is the Collector's OTLP/HTTP base URL, "http://host:4318"
	// or "https://host:4318"; records are posted to Endpoint + "/v1/logs"
	// (a path in Endpoint is kept in front of it), and the scheme picks
	// TLS. "" leaves it to the exporter's OTEL_EXPORTER_OTLP_* variables
	// and its default. A URL that does not parse, has another scheme, no
	// host, a query, a fragment, user information or a path already ending
	// in /v1/logs is an error from NewStack.
	Endpoint string
	// Resource describes the process; nil means resource.Default() (which
	// reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES).
	Resource *resource.Resource
	// QueueSize is the most records the batch processor holds, queued or
	// being exported; 0 means 2048. Negative, or more than 1,048,576 (the
	// batch processor allocates about 600 bytes per record it can hold
	// when NewStack is called), is an error.
	QueueSize int
	// BatchSize is the most records in one export; 0 means 512, or
	// QueueSize when that is smaller. Negative, or more than QueueSize, is
	// an error.
	BatchSize int
	// ExportInterval is the longest a record waits in the batch processor
	// before an export starts; 0 means 1s. Negative is an error.
	ExportInterval time.Duration
	// ExportTimeout bounds each export, the exporter's retries included,
	// and the sink's own retries of a refused connection (the exporter
	// does not retry those: a Collector being restarted refuses them); 0
	// means 30s. Negative is an error.
	ExportTimeout time.Duration
	// ExporterOptions are passed to otlploghttp.New after the ones
	// NewStack derives from Endpoint: headers, TLS, compression, retry.
	// An option here that sets the endpoint overrides Endpoint.
	ExporterOptions []otlploghttp.Option
}

// pipelineConfig is Options resolved: defaults applied, values checked.
type pipelineConfig struct {
	exporterOptions []otlploghttp.Option
	resource        *resource.Resource
	queueSize       int
	batchOptions    []sdklog.BatchProcessorOption
}

// resolve checks o and applies its defaults. The OTEL_BLRP_* variables are
// not read: the batch processor is given every value explicitly, so the
// bound on in-flight records is the one the counting processor enforces.
func (o Options) resolve() (pipelineConfig, error) {
	if err := o.checkSizes(); err != nil {
		return pipelineConfig{}, err
	}
	queue := cmpOr(o.QueueSize, defaultQueueSize)
	batch := cmpOr(o.BatchSize, min(defaultBatchSize, queue))
	if batch > queue {
		return pipelineConfig{}, fmt.Errorf("otlpsink: Options.BatchSize %d is more than QueueSize %d", batch, queue)
	}
	var exporterOptions []otlploghttp.Option
	if o.Endpoint != "" {
		endpoint, err := logsURL(o.Endpoint)
		if err != nil {
			return pipelineConfig{}, err
		}
		exporterOptions = append(exporterOptions, otlploghttp.WithEndpointURL(endpoint))
	}
	exporterOptions = append(exporterOptions, o.ExporterOptions...)
	res := o.Resource
	if res == nil {
		res = resource.Default()
	}
	return pipelineConfig{
		exporterOptions: exporterOptions,
		resource:        res,
		queueSize:       queue,
		batchOptions: []sdklog.BatchProcessorOption{
			sdklog.WithMaxQueueSize(queue),
			sdklog.WithExportMaxBatchSize(batch),
			sdklog.WithExportInterval(cmpOr(o.ExportInterval, defaultExportInterval)),
			sdklog.WithExportTimeout(cmpOr(o.ExportTimeout, defaultExportTimeout)),
		},
	}, nil
}

// maxQueueSize is the largest Options.QueueSize: the batch processor
// allocates a slot of about 600 bytes for every record it can hold when
// it is made, so this one costs some 600 MB up front.
const maxQueueSize = 1 << 20

// checkSizes names every size and duration of o that is negative, and a
// QueueSize above maxQueueSize.
func (o Options) checkSizes() error {
	fields := []struct {
		name     string
		negative bool
		value    any
	}{
		{"QueueSize", o.QueueSize < 0, o.QueueSize},
		{"BatchSize", o.BatchSize < 0, o.BatchSize},
		{"ExportInterval", o.ExportInterval < 0, o.ExportInterval},
		{"ExportTimeout", o.ExportTimeout < 0, o.ExportTimeout},
	}
	var errs []error
	for _, f := range fields {
		if f.negative {
			errs = append(errs, fmt.Errorf("otlpsink: Options.%s %v is negative (0 means the default)", f.name, f.value))
		}
	}
	if o.QueueSize > maxQueueSize {
		errs = append(errs, fmt.Errorf("otlpsink: Options.QueueSize %d is more than %d: the batch processor allocates about 600 bytes for each record it can hold when NewStack is called",
			o.QueueSize, maxQueueSize))
	}
	return errors.Join(errs...)
}

// cmpOr returns v, or def when v is 0.
func cmpOr[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// logsURL checks the Collector's base URL and returns the URL records are
// posted to: its path followed by "/v1/logs".
func logsURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		// Not err itself: a url.Error quotes the whole URL, and with it
		// any password the URL holds.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", fmt.Errorf("otlpsink: Options.Endpoint does not parse as a URL: %w", err)
	}
	var problem string
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		problem = "the scheme must be http or https"
	case u.Host == "" || u.Hostname() == "":
		problem = "no host"
	case u.User != nil:
		problem = "user information is not allowed (use ExporterOptions headers)"
	case u.RawQuery != "" || u.ForceQuery:
		problem = "a query is not allowed"
	case u.Fragment != "":
		problem = "a fragment is not allowed"
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/v1/logs"):
		problem = "give the Collector's base URL, without /v1/logs: records are posted to Endpoint + \"/v1/logs\""
	}
	if problem != "" {
		return "", fmt.Errorf("otlpsink: Options.Endpoint %q: %w", u.Redacted(), errors.New(problem))
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/logs"
	u.RawPath = ""
	return u.String(), nil
}
