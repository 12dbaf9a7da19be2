package scope

import (
	"time"

	"github.com/slogstack/slogstack/internal/forcetoken"
	"github.com/slogstack/slogstack/internal/traceparent"
	"go.opentelemetry.io/otel/trace"
)

// carriedForceToken returns the X-Log-Force token of c when key is set and
// the token is valid for the correlation ID id now, else "".
func carriedForceToken(c getSetter, key []byte, id string) string {
	if c == nil || key == nil {
		return ""
	}
	tok := c.Get(carrierForce)
	if tok == "" || forcetoken.Verify(key, tok, id, time.Now()) != forcetoken.Accepted {
		return ""
	}
	return tok
}

// carriedSpan returns the span context of c's traceparent and tracestate,
// or the zero SpanContext when traceparent is missing or not valid. A
// tracestate that does not parse is left out, as W3C Trace Context asks.
func carriedSpan(c getSetter) trace.SpanContext {
	sc, ok := traceparent.Parse(c.Get(carrierTraceparent))
	if !ok {
		return trace.SpanContext{}
	}
	if v := c.Get(carrierTracestate); v != "" {
		if ts, err := trace.ParseTraceState(v); err == nil {
			sc = sc.WithTraceState(ts)
		}
	}
	return sc
}
