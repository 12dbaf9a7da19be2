package sampling

// Defaults applied by a zero Options.
const (
	// DefaultMaxRequestRecords is the number of records buffered for one
	// request that is not sampled.
	DefaultMaxRequestRecords = 512
	// DefaultMaxRequestBytes is the size of the records buffered
	// for one request that is not sampled.
	DefaultMaxRequestBytes = 512 << 10
	// DefaultMaxBufferedBytes is the size of all records buffered
	// by one Handler (and the handlers derived from it with WithAttrs and
	// WithGroup) across all requests in flight.
	DefaultMaxBufferedBytes = 32 << 20
)

// Options configures a Handler. The zero value buffers the records of
// requests that are not sampled, up to DefaultMaxRequestRecords and
// DefaultMaxRequestBytes per request and DefaultMaxBufferedBytes in total,
// and passes records logged without a request scope unchanged.
type Options struct {
	// DisableBuffering turns the per-request buffer off. Records below
	// ERROR of a request that is not sampled (and not yet kept) are then
	// dropped at once: Enabled reports false for them, so such a call costs
	// about what a call at a disabled level costs. Records at ERROR or
	// above still keep the request, and every later record of a kept
	// request passes.
	DisableBuffering bool

	// MaxRequestRecords bounds the number of records buffered for one
	// request. When a new record would exceed it, the oldest buffered
	// record below ERROR is dropped and counted; with none, a new record
	// below ERROR is dropped and counted instead, and a new record at
	// ERROR or above is held past the bound. (Records at ERROR or above are
	// buffered only while a kept request's buffer is being written, and
	// are never dropped.) Zero or negative means DefaultMaxRequestRecords.
	MaxRequestRecords int

	// MaxRequestBytes bounds the size of the records buffered for
	// one request (see the package documentation for what a record is charged). When a
	// new record would exceed it, the oldest buffered records below ERROR
	// are dropped and counted; a single record below ERROR larger than the
	// bound is not buffered and is counted as lost. Records at ERROR or
	// above are never dropped, as for MaxRequestRecords. Zero or negative
	// means DefaultMaxRequestBytes.
	MaxRequestBytes int

	// MaxBufferedBytes bounds the size of everything this
	// handler (with the handlers derived from it) holds in buffers across
	// all requests in flight, buffer slots included. A request that needs
	// room while the budget is spent drops its own oldest records below
	// ERROR; a request with none loses the new record. Both are counted. A
	// record at ERROR or above (buffered only while a kept request's
	// buffer is being written) is never dropped: with no room to make, it
	// is charged past the limit, so Stats.BufferedBytes may exceed
	// MaxBufferedBytes by such records until they are written. Zero or
	// negative means DefaultMaxBufferedBytes.
	MaxBufferedBytes int64

	// SampleUnscoped samples records logged without a request scope in
	// their context, each on its own, at UnscopedRate. The key is the
	// record's top-level string attribute "correlation_id" (on the record
	// or added with WithAttrs), so that records of one unit of work logged
	// without a scope are kept or dropped together and agree with
	// Decide(correlationID, UnscopedRate); records without one are sampled
	// independently at random. Records at ERROR or above always pass. When
	// false (the default), records without a scope pass unchanged.
	SampleUnscoped bool

	// UnscopedRate is the rate SampleUnscoped samples at, in [0, 1]. Zero
	// means DefaultRate, a negative value samples none, a value above 1
	// samples all.
	UnscopedRate float64
}

// config is Options with the defaults applied.
type config struct {
	buffering         bool
	maxRequestRecords int
	maxRequestBytes   int
	maxBufferedBytes  int64
	sampleUnscoped    bool
	unscopedRate      float64
}

func (o Options) config() config {
	c := config{
		buffering:         !o.DisableBuffering,
		maxRequestRecords: o.MaxRequestRecords,
		maxRequestBytes:   o.MaxRequestBytes,
		maxBufferedBytes:  o.MaxBufferedBytes,
		sampleUnscoped:    o.SampleUnscoped,
		unscopedRate:      Policy{Rate: o.UnscopedRate}.EffectiveRate(),
	}
	if c.maxRequestRecords <= 0 {
		c.maxRequestRecords = DefaultMaxRequestRecords
	}
	if c.maxRequestBytes <= 0 {
		c.maxRequestBytes = DefaultMaxRequestBytes
	}
	if c.maxBufferedBytes <= 0 {
		c.maxBufferedBytes = DefaultMaxBufferedBytes
	}
	return c
}
