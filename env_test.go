package slogstack

import (
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
)

// env is a fake environment for configFrom.
type env map[string]string

func (e env) lookup(k string) (string, bool) {
	v, ok := e[k]
	return v, ok
}

// environ lists e as os.Environ does, in no particular order.
func (e env) environ() []string {
	var kv []string
	for k, v := range e {
		kv = append(kv, k+"="+v)
	}
	return kv
}

// config applies e over base.
func (e env) config(base Config) (Config, error) {
	return configFrom(base, e.lookup, e.environ)
}

// cmpConfig compares Configs, whose function fields cannot be compared.
var cmpConfig = []cmp.Option{
	cmpopts.IgnoreFields(Config{}, "ReplaceAttr"),
	cmpopts.IgnoreUnexported(aggregation.Options{}, redact.Options{}, async.Options{}, sampling.Options{}),
	cmpopts.IgnoreFields(aggregation.Options{}, "Match"),
	cmpopts.IgnoreFields(httpctx.BodyOptions{}, "IsText", "Redact"),
	cmpopts.EquateEmpty(),
}

func TestConfigFromEnvDefaults(t *testing.T) {
	got, err := env{}.config(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultConfig(), got, cmpConfig...); diff != "" {
		t.Errorf("empty environment: config differs from DefaultConfig (-want +got):\n%s", diff)
	}
	// Set but empty scalars keep their defaults too.
	got, err = env{"LOG_LEVEL": "", "LOG_ASYNC": " ", "LOG_QUEUE_SIZE": "", "LOG_SAMPLING_RATE": ""}.config(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultConfig(), got, cmpConfig...); diff != "" {
		t.Errorf("empty values: config differs from DefaultConfig (-want +got):\n%s", diff)
	}
}

func TestConfigFromEnvGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  env
		edit func(*Config) // applied to DefaultConfig to get the expected Config
	}{
		{"level debug", env{"LOG_LEVEL": "debug"}, func(c *Config) { c.Level = slog.LevelDebug }},
		{"level INFO", env{"LOG_LEVEL": "INFO"}, func(c *Config) { c.Level = slog.LevelInfo }},
		{"level warn", env{"LOG_LEVEL": "Warn"}, func(c *Config) { c.Level = slog.LevelWarn }},
		{"level error", env{"LOG_LEVEL": " error "}, func(c *Config) { c.Level = slog.LevelError }},
		{"level offset", env{"LOG_LEVEL": "info+2"}, func(c *Config) { c.Level = slog.LevelInfo + 2 }},
		{"add source", env{"LOG_ADD_SOURCE": "true"}, func(c *Config) { c.AddSource = true }},
		{"correlation off", env{"LOG_CORRELATION": "false"}, func(c *Config) { c.Correlation = false }},
		{"async off", env{"LOG_ASYNC": "false"}, func(c *Config) { c.Async = false }},
		{"async on", env{"LOG_ASYNC": "TRUE"}, func(c *Config) { c.Async = true }},
		{"async 0", env{"LOG_ASYNC": "0"}, func(c *Config) { c.Async = false }},
		{"queue size", env{"LOG_QUEUE_SIZE": "65536"}, func(c *Config) { c.AsyncOptions.Capacity = 65536 }},
		{"queue bytes", env{"LOG_QUEUE_BYTES": "16MiB"}, func(c *Config) { c.AsyncOptions.MaxBytes = 16 << 20 }},
		{"sampling off", env{"LOG_SAMPLING": "false"}, func(c *Config) { c.Sampling = false }},
		{"rate", env{"LOG_SAMPLING_RATE": "0.25"}, func(c *Config) { c.SamplingPolicy.Rate = 0.25 }},
		{"rate 1", env{"LOG_SAMPLING_RATE": "1"}, func(c *Config) { c.SamplingPolicy.Rate = 1 }},
		{"rate 0 samples none", env{"LOG_SAMPLING_RATE": "0"}, func(c *Config) { c.SamplingPolicy.Rate = 0 }},
		{"rate 0.0", env{"LOG_SAMPLING_RATE": "0.0"}, func(c *Config) { c.SamplingPolicy.Rate = 0 }},
		{"always sample", env{"LOG_ALWAYS_SAMPLE_PATHS": "/api/v1/payments, /admin/,,"}, func(c *Config) {
			c.SamplingPolicy.AlwaysSamplePaths = []string{"/api/v1/payments", "/admin/"}
		}},
		{"excluded", env{"LOG_EXCLUDED_PATHS": "/health,/metrics"}, func(c *Config) {
			c.SamplingPolicy.ExcludedPaths = []string{"/health", "/metrics"}
		}},
		{"excluded empty means none", env{"LOG_EXCLUDED_PATHS": ""}, func(c *Config) {
			c.SamplingPolicy.ExcludedPaths = nil
		}},
		{"excluded commas only means none", env{"LOG_EXCLUDED_PATHS": " , ,"}, func(c *Config) {
			c.SamplingPolicy.ExcludedPaths = nil
		}},
		{"follow trace", env{"LOG_FOLLOW_TRACE": "1"}, func(c *Config) { c.SamplingPolicy.FollowTrace = true }},
		{"buffer off", env{"LOG_REQUEST_BUFFER": "false"}, func(c *Config) { c.SamplingOptions.MaxRequestRecords = 0 }},
		{"buffer on keeps the bounds", env{"LOG_REQUEST_BUFFER": "true"}, func(*Config) {}},
		{"buffer records", env{"LOG_REQUEST_BUFFER_RECORDS": "64"}, func(c *Config) { c.SamplingOptions.MaxRequestRecords = 64 }},
		{"buffer records 0 is no buffering", env{"LOG_REQUEST_BUFFER_RECORDS": "0"}, func(c *Config) { c.SamplingOptions.MaxRequestRecords = 0 }},
		{"buffer bytes", env{"LOG_REQUEST_BUFFER_BYTES": "128KiB"}, func(c *Config) { c.SamplingOptions.MaxRequestBytes = 128 << 10 }},
		{"buffer bytes plain", env{"LOG_REQUEST_BUFFER_BYTES": "4096"}, func(c *Config) { c.SamplingOptions.MaxRequestBytes = 4096 }},
		{"total buffer", env{"LOG_BUFFER_BYTES": "1GiB"}, func(c *Config) { c.SamplingOptions.MaxBufferedBytes = 1 << 30 }},
		{"aggregation off", env{"LOG_AGGREGATION": "false"}, func(c *Config) { c.Aggregation = false }},
		{"aggregation burst", env{"LOG_AGGREGATION_BURST": "10"}, func(c *Config) { c.AggregationOptions.Burst = 10 }},
		{"aggregation burst 0 folds from the first", env{"LOG_AGGREGATION_BURST": "0"}, func(c *Config) { c.AggregationOptions.Burst = 0 }},
		{"aggregation window", env{"LOG_AGGREGATION_WINDOW": "30s"}, func(c *Config) { c.AggregationOptions.Window = 30 * time.Second }},
		{"aggregation groups", env{"LOG_AGGREGATION_MAX_GROUPS": "5000"}, func(c *Config) { c.AggregationOptions.MaxGroups = 5000 }},
		{"redact off", env{"LOG_REDACT": "false"}, func(c *Config) { c.Redact = false }},
		{"format text", env{"LOG_FORMAT": "text"}, func(c *Config) { c.Format = FormatText }},
		{"format JSON", env{"LOG_FORMAT": " JSON "}, func(c *Config) { c.Format = FormatJSON }},
		{"format Text", env{"LOG_FORMAT": "Text"}, func(c *Config) { c.Format = FormatText }},
		{"stacktrace error", env{"LOG_STACKTRACE": "error"}, func(c *Config) { c.Stacktrace, c.StacktraceLevel = true, slog.LevelError }},
		{"stacktrace WARN", env{"LOG_STACKTRACE": "WARN"}, func(c *Config) { c.Stacktrace, c.StacktraceLevel = true, slog.LevelWarn }},
		{"stacktrace debug", env{"LOG_STACKTRACE": "debug"}, func(c *Config) { c.Stacktrace, c.StacktraceLevel = true, slog.LevelDebug }},
		{"stacktrace off", env{"LOG_STACKTRACE": "Off"}, func(c *Config) { c.Stacktrace = false }},
		{"other tools' variables are left alone", env{"LOG_OUTPUT": "text", "LOG_FILE": "/var/log/x", "LOG_EXPVAR": "-"}, func(*Config) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.env.config(DefaultConfig())
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := DefaultConfig()
			tc.edit(&want)
			if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigFromEnvBad(t *testing.T) {
	for _, tc := range []struct {
		name, value string
	}{
		{"LOG_LEVEL", "verbose"},
		{"LOG_LEVEL", "info+"},
		{"LOG_PRESET", "dev"},
		{"LOG_PRESET", "staging"},
		{"LOG_FORMAT", "yaml"},
		{"LOG_STACKTRACE", "on"},
		{"LOG_STACKTRACE", "true"},
		{"LOG_STACKTRACE", "fatal"},
		{"LOG_FORMAT", "console"},
		{"LOG_ADD_SOURCE", "yes please"},
		{"LOG_CORRELATION", "maybe"},
		{"LOG_ASYNC", "on"},
		{"LOG_ASYNC", "2"},
		{"LOG_QUEUE_SIZE", "0"},
		{"LOG_QUEUE_SIZE", "-5"},
		{"LOG_QUEUE_SIZE", "1e6"},
		{"LOG_QUEUE_SIZE", "99999999999"},
		{"LOG_QUEUE_BYTES", "10MB"},
		{"LOG_SAMPLING", "sometimes"},
		{"LOG_SAMPLING_RATE", "1.5"},
		{"LOG_SAMPLING_RATE", "-0.1"},
		{"LOG_SAMPLING_RATE", "NaN"},
		{"LOG_SAMPLING_RATE", "Inf"},
		{"LOG_SAMPLING_RATE", "10%"},
		{"LOG_ALWAYS_SAMPLE_PATHS", "/a b,/c"},
		{"LOG_EXCLUDED_PATHS", "/health,/a\tb"},
		{"LOG_FOLLOW_TRACE", "yes"},
		{"LOG_REQUEST_BUFFER", "off"},
		{"LOG_REQUEST_BUFFER_RECORDS", "-1"},
		{"LOG_REQUEST_BUFFER_BYTES", "-1KiB"},
		{"LOG_REQUEST_BUFFER_BYTES", "4GiB"},
		{"LOG_BUFFER_BYTES", "lots"},
		{"LOG_AGGREGATION", "nope"},
		{"LOG_AGGREGATION_BURST", "five"},
		{"LOG_AGGREGATION_BURST", "-1"},
		{"LOG_AGGREGATION_WINDOW", "10"},
		{"LOG_AGGREGATION_WINDOW", "-1s"},
		{"LOG_AGGREGATION_MAX_GROUPS", "0"},
		{"LOG_REDACT", "please"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			got, err := env{tc.name: tc.value}.config(DefaultConfig())
			if err == nil {
				t.Fatalf("%s=%q accepted", tc.name, tc.value)
			}
			if !strings.HasPrefix(err.Error(), tc.name+": ") || !strings.Contains(err.Error(), strconv.Quote(tc.value)) {
				t.Errorf("error %q does not start with the variable's name and quote the value", err)
			}
			// The malformed variable leaves its default in place.
			if diff := cmp.Diff(DefaultConfig(), got, cmpConfig...); diff != "" {
				t.Errorf("config changed by a malformed value (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigFromEnvBufferConflict checks that LOG_REQUEST_BUFFER set
// against a bound set with it is an error naming both, and that agreeing
// settings are accepted.
func TestConfigFromEnvBufferConflict(t *testing.T) {
	for _, tc := range []struct {
		name     string
		e        env
		conflict string // the other variable named, "" for none
	}{
		{"off with records", env{"LOG_REQUEST_BUFFER": "false", "LOG_REQUEST_BUFFER_RECORDS": "100"}, "LOG_REQUEST_BUFFER_RECORDS=100"},
		{"off with request bytes", env{"LOG_REQUEST_BUFFER": "0", "LOG_REQUEST_BUFFER_BYTES": "64KiB"}, "LOG_REQUEST_BUFFER_BYTES=64KiB"},
		{"off with total bytes", env{"LOG_REQUEST_BUFFER": "false", "LOG_BUFFER_BYTES": "64MiB"}, "LOG_BUFFER_BYTES=64MiB"},
		{"on with zero records", env{"LOG_REQUEST_BUFFER": "true", "LOG_REQUEST_BUFFER_RECORDS": "0"}, "LOG_REQUEST_BUFFER_RECORDS=0"},
		{"off with zero records", env{"LOG_REQUEST_BUFFER": "false", "LOG_REQUEST_BUFFER_RECORDS": "0"}, ""},
		{"on with records and bytes", env{"LOG_REQUEST_BUFFER": "true", "LOG_REQUEST_BUFFER_RECORDS": "64", "LOG_REQUEST_BUFFER_BYTES": "64KiB"}, ""},
		{"records alone", env{"LOG_REQUEST_BUFFER_RECORDS": "0"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.e.config(DefaultConfig())
			switch {
			case tc.conflict == "" && err != nil:
				t.Errorf("agreeing settings rejected: %v", err)
			case tc.conflict != "" && (err == nil || !strings.Contains(err.Error(), "LOG_REQUEST_BUFFER="+tc.e["LOG_REQUEST_BUFFER"]+" contradicts "+tc.conflict)):
				t.Errorf("error %v; want LOG_REQUEST_BUFFER contradicting %s", err, tc.conflict)
			}
		})
	}
}

func TestConfigFromEnvJoinsErrors(t *testing.T) {
	got, err := env{
		"LOG_LEVEL":         "loud",
		"LOG_ASYNC":         "false",
		"LOG_QUEUE_SIZE":    "many",
		"LOG_SAMPLING_RATE": "2",
		"LOG_SAMPLNG":       "true",
		"LOG_ASYNCH":        "true",
	}.config(DefaultConfig())
	if err == nil {
		t.Fatal("no error")
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("error %T is not a joined error", err)
	}
	var names []string
	for _, e := range joined.Unwrap() {
		name, _, _ := strings.Cut(e.Error(), ":")
		names = append(names, name)
	}
	if diff := cmp.Diff([]string{"LOG_LEVEL", "LOG_SAMPLING_RATE", "LOG_QUEUE_SIZE", "LOG_ASYNCH", "LOG_SAMPLNG"}, names); diff != "" {
		t.Errorf("errors name (-want +got):\n%s", diff)
	}
	// The well-formed variable is applied even so.
	if got.Async {
		t.Error("LOG_ASYNC=false was not applied beside the malformed variables")
	}
}

func TestConfigFromEnvReadsProcessEnvironment(t *testing.T) {
	t.Setenv("LOG_LEVEL", "warn")
	t.Setenv("LOG_SAMPLING_RATE", "0.5")
	cfg, err := ConfigFromEnv(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Level != slog.LevelWarn || cfg.SamplingPolicy.Rate != 0.5 {
		t.Errorf("ConfigFromEnv: Level %v, rate %v; want WARN, 0.5", cfg.Level, cfg.SamplingPolicy.Rate)
	}
	t.Setenv("LOG_QUEUE_SIZE", "x")
	t.Setenv("LOG_QUEUE_SIZ", "1")
	want := []string{`LOG_QUEUE_SIZE: "x" is not an integer from 1 to 16777216`,
		"LOG_QUEUE_SIZ: unknown variable; did you mean LOG_QUEUE_SIZE?"}
	if _, err := ConfigFromEnv(DefaultConfig()); !cmp.Equal(joinedMessages(err), want) {
		t.Errorf("ConfigFromEnv with LOG_QUEUE_SIZE=x and LOG_QUEUE_SIZ: errors %q, want %q", joinedMessages(err), want)
	}
}

// FuzzConfigFromEnv checks that no value of any variable panics, and that
// a rejected value is always named in the error.
func FuzzConfigFromEnv(f *testing.F) {
	for _, s := range []string{"", "true", "0.5", "debug", "1KiB", "10s", "/a,/b", "-1", "NaN", "9223372036854775807GiB"} {
		f.Add(uint8(0), s, "LOG_SAMPLNG_RATE")
	}
	names := envNames
	f.Fuzz(func(t *testing.T, which uint8, value, other string) {
		name := names[int(which)%len(names)]
		e := env{name: value}
		if strings.Contains(other, "=") {
			other = "" // os.Environ cannot list such a name
		}
		if other != name {
			e[other] = value
		}
		cfg, err := e.config(DefaultConfig())
		if err != nil {
			for _, msg := range joinedMessages(err) {
				if !strings.HasPrefix(msg, name+": ") && (other == "" || !strings.HasPrefix(msg, other+": ")) {
					t.Fatalf("%s=%q, %s=%q: error %q does not name a variable", name, value, other, value, msg)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s=%q accepted, but the Config does not validate: %v", name, value, err)
		}
		if r := cfg.SamplingPolicy.Rate; r > 1 || r != r {
			t.Fatalf("%s=%q: rate %v accepted", name, value, r)
		}
		if cfg.AsyncOptions.Capacity < 0 || cfg.AsyncOptions.MaxBytes < 0 || cfg.SamplingOptions.MaxRequestBytes < 0 ||
			cfg.SamplingOptions.MaxBufferedBytes < 0 || cfg.AggregationOptions.Window < 0 {
			t.Fatalf("%s=%q: negative bound accepted: %+v", name, value, cfg)
		}
	})
}

// TestConfigFromEnvMisspelled checks the LOG_* names that are not known:
// within two edits of a known name (a letter dropped, added, changed, two
// swapped, case) they are errors suggesting the nearest name, with the
// known variables still applied; farther ones are other tools' and are
// ignored.
func TestConfigFromEnvMisspelled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     env
		wantErr []string
	}{
		{"dropped letter", env{"LOG_SAMPLNG_RATE": "0.5"}, []string{
			"LOG_SAMPLNG_RATE: unknown variable; did you mean LOG_SAMPLING_RATE?"}},
		{"added letter", env{"LOG_ASYNCH": "false"}, []string{
			"LOG_ASYNCH: unknown variable; did you mean LOG_ASYNC?"}},
		{"changed letter", env{"LOG_LEVEE": "debug"}, []string{
			"LOG_LEVEE: unknown variable; did you mean LOG_LEVEL?"}},
		{"swapped letters", env{"LOG_REDCAT": "false"}, []string{
			"LOG_REDCAT: unknown variable; did you mean LOG_REDACT?"}},
		{"two edits", env{"LOG_LVL": "debug"}, []string{
			"LOG_LVL: unknown variable; did you mean LOG_LEVEL?"}},
		{"case", env{"log_level": "debug", "Log_Async": "false"}, []string{
			"Log_Async: unknown variable; did you mean LOG_ASYNC?",
			"log_level: unknown variable; did you mean LOG_LEVEL?"}},
		{"set but empty", env{"LOG_QUEUE_SIZ": ""}, []string{
			"LOG_QUEUE_SIZ: unknown variable; did you mean LOG_QUEUE_SIZE?"}},
		{"three edits are another tool's", env{"LOG_JSON": "1", "LOG_OUTPUT": "text", "LOG_FILE": "/tmp/x", "LOG_EXPVAR": "-"}, nil},
		{"format misspelled", env{"LOG_FORMATT": "text"}, []string{
			"LOG_FORMATT: unknown variable; did you mean LOG_FORMAT?"}},
		{"another prefix", env{"LOGLEVEL": "debug", "MY_LOG_LEVEL": "debug"}, nil},
		{"another form of a word", env{"LOG_SAMPLE_RATE": "1", "LOG_REDACTION": "false", "LOG_EXCLUDE_PATH": "/x"}, []string{
			"LOG_EXCLUDE_PATH: unknown variable; did you mean LOG_EXCLUDED_PATHS?",
			"LOG_REDACTION: unknown variable; did you mean LOG_REDACT?",
			"LOG_SAMPLE_RATE: unknown variable; did you mean LOG_SAMPLING_RATE?"}},
		{"other tools' names with words of ours", env{"LOG_DIR": "/x", "LOG_LEVEL_NAME": "x", "LOG_FILE_PATHS": "/x",
			"LOG_STACK": "single", "LOG_STACKS": "a,b", "LOG_FORMATTER": "json", "LOG_FORMATTING": "x",
			"LOG_LEVELDB": "x", "LOG_LEVELER": "x", "LOG_REDACTOR": "x", "LOG_SAMPLER": "x", "LOG_CHANNEL": "stack"}, nil},
		{"inflected forms", env{"LOG_REDACTIONS": "false", "LOG_EXCLUDES_PATH": "/x", "LOG_ALWAYS_SAMPLED_PATHS": "/x"}, []string{
			"LOG_ALWAYS_SAMPLED_PATHS: unknown variable; did you mean LOG_ALWAYS_SAMPLE_PATHS?",
			"LOG_EXCLUDES_PATH: unknown variable; did you mean LOG_EXCLUDED_PATHS?",
			"LOG_REDACTIONS: unknown variable; did you mean LOG_REDACT?"}},
		{"several, in name order, beside a bad value", env{"LOG_SAMPLNG": "true", "LOG_AGREGATION": "x", "LOG_QUEUE_SIZE": "many"}, []string{
			`LOG_QUEUE_SIZE: "many" is not an integer from 1 to 16777216`,
			"LOG_AGREGATION: unknown variable; did you mean LOG_AGGREGATION?",
			"LOG_SAMPLNG: unknown variable; did you mean LOG_SAMPLING?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.env.config(DefaultConfig())
			if diff := cmp.Diff(tc.wantErr, joinedMessages(err), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEditDistance checks the distance the misspelling check uses, and
// that it stops at its limit.
func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 3, 0},
		{"LOG_LEVEL", "LOG_LEVEL", 3, 0},
		{"LOG_LEVL", "LOG_LEVEL", 3, 1},
		{"LOG_LEVELL", "LOG_LEVEL", 3, 1},
		{"LOG_LEVEK", "LOG_LEVEL", 3, 1},
		{"LOG_LEEVL", "LOG_LEVEL", 3, 1}, // a swap is one edit
		{"LOG_LVL", "LOG_LEVEL", 3, 2},
		{"LOG_ELVLE", "LOG_LEVEL", 3, 2},
		{"LOG_FILE", "LOG_LEVEL", 9, 4},
		{"LOG_FILE", "LOG_LEVEL", 3, 3}, // capped at the limit
		{"LOG_X", "LOG_AGGREGATION_MAX_GROUPS", 3, 3},
		{"ABC", "", 9, 3},
		{"", "ABC", 9, 3},
		{"CA", "ABC", 9, 3}, // optimal string alignment: no edit of a swapped pair
	} {
		if got := editDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}

// TestKnownVariables checks that the names the misspelling check knows are
// exactly the variables ConfigFromEnv documents and reads.
func TestKnownVariables(t *testing.T) {
	p := &envParser{lookup: env{}.lookup, known: map[string]bool{}}
	cfg := DefaultConfig()
	p.apply(&cfg)
	var got []string
	for name := range p.known {
		got = append(got, name)
	}
	slices.Sort(got)
	want := slices.Clone(envNames)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("known variables (-want +got):\n%s", diff)
	}
}

// envNames are the variables of ConfigFromEnv's documentation.
var envNames = []string{"LOG_PRESET", "LOG_LEVEL", "LOG_FORMAT", "LOG_ADD_SOURCE", "LOG_STACKTRACE", "LOG_CORRELATION", "LOG_SAMPLING", "LOG_SAMPLING_RATE",
	"LOG_ALWAYS_SAMPLE_PATHS", "LOG_EXCLUDED_PATHS", "LOG_FOLLOW_TRACE", "LOG_REQUEST_BUFFER",
	"LOG_REQUEST_BUFFER_RECORDS", "LOG_REQUEST_BUFFER_BYTES", "LOG_BUFFER_BYTES", "LOG_AGGREGATION",
	"LOG_AGGREGATION_BURST", "LOG_AGGREGATION_WINDOW", "LOG_AGGREGATION_MAX_GROUPS", "LOG_REDACT",
	"LOG_ASYNC", "LOG_QUEUE_SIZE", "LOG_QUEUE_BYTES", "LOG_FORCE_KEY"}

// TestConfigFromEnvOverBase checks that the variables apply over the
// caller's base, not over DefaultConfig: what no variable sets stays as
// the base has it, including zero values and the base's own options.
func TestConfigFromEnvOverBase(t *testing.T) {
	custom := DefaultConfig()
	custom.SamplingPolicy = sampling.Policy{Rate: 0.3, AlwaysSamplePaths: []string{"/pay"}}
	custom.AsyncOptions.Capacity = 100
	custom.RedactOptions.Replacement = "***"
	for _, tc := range []struct {
		name string
		base Config
		env  env
		want func() Config
	}{
		{"zero base, nothing set", Config{}, env{}, func() Config { return Config{} }},
		{"zero base, async on", Config{}, env{"LOG_ASYNC": "true", "LOG_QUEUE_SIZE": "64"},
			func() Config { return Config{Async: true, AsyncOptions: async.Options{Capacity: 64}} }},
		{"zero base, buffering on takes the default bounds", Config{Sampling: true}, env{"LOG_REQUEST_BUFFER": "true"},
			func() Config { return Config{Sampling: true, SamplingOptions: defaultBounds(0)} }},
		{"zero base, buffering on keeps a set bound", Config{SamplingOptions: sampling.Options{MaxRequestRecords: 7}},
			env{"LOG_REQUEST_BUFFER": "true"},
			func() Config { return Config{SamplingOptions: defaultBounds(7)} }},
		{"custom base, nothing set", custom, env{}, func() Config { return custom }},
		{"stack traces on, turned off", Config{Stacktrace: true, StacktraceLevel: slog.LevelWarn}, env{"LOG_STACKTRACE": "off"},
			func() Config { return Config{StacktraceLevel: slog.LevelWarn} }},
		{"custom base, rate set", custom, env{"LOG_SAMPLING_RATE": "0"}, func() Config {
			c := custom
			c.SamplingPolicy.Rate = 0
			return c
		}},
		{"custom base, a request buffer above its total", custom, env{"LOG_REQUEST_BUFFER_BYTES": "64MiB", "LOG_BUFFER_BYTES": "64MiB"},
			func() Config {
				c := custom
				c.SamplingOptions.MaxRequestBytes, c.SamplingOptions.MaxBufferedBytes = 64<<20, 64<<20
				return c
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.env.config(tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want(), got, cmpConfig...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// defaultBounds returns the buffer bounds of sampling.DefaultOptions, and
// nothing else, with records as MaxRequestRecords if it is not zero.
func defaultBounds(records int) sampling.Options {
	d := sampling.DefaultOptions()
	if records == 0 {
		records = d.MaxRequestRecords
	}
	return sampling.Options{MaxRequestRecords: records, MaxRequestBytes: d.MaxRequestBytes, MaxBufferedBytes: d.MaxBufferedBytes}
}
