package sampling

// Options configures a Handler. Zero means zero: the zero Options buffers
// nothing (records below ERROR of a request that is not sampled are dropped
// at once, records at ERROR or above keep the request) and passes records
// logged without a request scope unchanged. Start from DefaultOptions for
// the recommended bounds. A negative count or size is treated as zero.
type Options struct {
	// MaxRequestRecords bounds the number of records buffered for one
	// request that is not sampled. When a new record would exceed it, the
	// oldest buffered record below ERROR is dropped and counted; with none,
	// a new record below ERROR is dropped and counted instead, and a new
	// record at ERROR or above is held past the bound. (Records at ERROR or
	// above are buffered only while a kept request's buffer is being
	// written, and are never dropped.)
	//
	// Zero (or negative) turns buffering off, as a zero MaxRequestBytes or
	// MaxBufferedBytes does: records below ERROR of a request that is not
	// sampled (and not yet kept) are dropped at once and Enabled reports
	// false for them, so such a call costs about what a call at a disabled
	// level costs. Records at ERROR or above still keep the request, and
	// every later record of a kept request passes.
	MaxRequestRecords int

	// MaxRequestBytes bounds the size of the records buffered for one
	// request (see the package documentation for what a record is
	// charged). When a new record would exceed it, the oldest buffered
	// records below ERROR are dropped and counted; a single record below
	// ERROR larger than the bound is not buffered and is counted as lost.
	// Records at ERROR or above are never dropped, as for
	// MaxRequestRecords. Zero (or negative) turns buffering off.
	MaxRequestBytes int

	// MaxBufferedBytes bounds the size of everything this handler (with
	// the handlers derived from it) holds in buffers across all requests
	// in flight, buffer slots included. A request that needs room while
	// the budget is spent drops its own oldest records below ERROR; a
	// request with none loses the new record. Both are counted. A record
	// at ERROR or above (buffered only while a kept request's buffer is
	// being written) is never dropped: with no room to make, it is charged
	// past the limit, so Stats.BufferedBytes may exceed MaxBufferedBytes
	// by such records until they are written. Zero (or negative) turns
	// buffering off.
	MaxBufferedBytes int64

	// SampleUnscoped samples records logged without a request scope in
	// their context, each on its own, at UnscopedRate. The key is the
	// record's top-level string attribute "correlation_id" (on the record
	// or added with WithAttrs), so that records of one unit of work logged
	// without a scope are kept or dropped together and agree with
	// Decide(correlationID, UnscopedRate); records without one are sampled
	// independently at random. Records at ERROR or above always pass. When
	// false, records without a scope pass unchanged and UnscopedRate is
	// not used.
	SampleUnscoped bool

	// UnscopedRate is the fraction of records without a request scope
	// that SampleUnscoped keeps: 0 (or negative, or NaN) keeps none below
	// ERROR, 1 or more keeps all.
	UnscopedRate float64
}

// DefaultOptions returns the recommended Options: up to 512 records and
// 512 KiB buffered per request that is not sampled, 32 MiB across all
// requests in flight, records without a request scope passed unchanged
// (SampleUnscoped false; UnscopedRate 0.1, used only if SampleUnscoped is
// set).
func DefaultOptions() Options {
	return Options{
		MaxRequestRecords: 512,
		MaxRequestBytes:   512 << 10,
		MaxBufferedBytes:  32 << 20,
		SampleUnscoped:    false,
		UnscopedRate:      0.1,
	}
}

// config is Options as the Handler uses it: negative bounds are zero, any
// zero bound turns buffering off, and the rate is clamped to [0, 1].
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
		maxRequestRecords: max(o.MaxRequestRecords, 0),
		maxRequestBytes:   max(o.MaxRequestBytes, 0),
		maxBufferedBytes:  max(o.MaxBufferedBytes, 0),
		sampleUnscoped:    o.SampleUnscoped,
		unscopedRate:      clampRate(o.UnscopedRate),
	}
	c.buffering = c.maxRequestRecords > 0 && c.maxRequestBytes > 0 && c.maxBufferedBytes > 0
	return c
}
