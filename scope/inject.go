package scope

import (
	"context"
	"encoding/hex"
	"reflect"

	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// The keys Inject sets and Start (Options.Carrier) reads. An http.Header
// (propagation.HeaderCarrier) matches them in any case; a
// propagation.MapCarrier, or a carrier of a message system's own, is
// written and read with exactly these spellings.
const (
	carrierCorrelationID = "X-Correlation-ID"
	carrierForce         = "X-Log-Force"
	carrierTraceparent   = "traceparent"
	carrierTracestate    = "tracestate"
)

// Inject writes what another service needs to continue the work of ctx
// into carrier, a propagation.TextMapCarrier of OpenTelemetry: the headers
// of an outgoing HTTP request (propagation.HeaderCarrier(req.Header)) or
// of a queued message (propagation.MapCarrier, or a carrier of the message
// system). It sets
//
//   - X-Correlation-ID: the correlation ID of the scope in ctx, when ctx
//     carries one;
//   - traceparent and tracestate, as W3C Trace Context (the same values
//     OpenTelemetry's propagation.TraceContext writes): the valid span
//     context in ctx, else the span context the scope was opened with,
//     when either is valid;
//   - X-Log-Force: the forced-sampling token that decided the scope, when
//     it was forced (see Options.ForceKey), so that the next service,
//     configured with the same key, logs the work whole too.
//
// A key the carrier already holds (Get returns a value other than "") is
// never overwritten: what the caller, or OpenTelemetry instrumentation that
// ran first, set wins. When traceparent is present, neither traceparent nor
// tracestate is set. Without a scope only the span context is written; a
// nil ctx or carrier sets nothing, and so does a carrier that is a nil map
// (propagation.HeaderCarrier of a request's nil Header, a nil
// propagation.MapCarrier), which cannot be written. The receiving side reads these keys
// back with the HTTP middleware of httpctx, or with Start and
// Options.Carrier.
//
// The parameter is written as the method set of propagation.TextMapCarrier
// so that this package does not depend on net/http; any TextMapCarrier
// value is accepted as is.
func Inject(ctx context.Context, carrier interface {
	Get(key string) string
	Set(key, value string)
	Keys() []string
}) {
	if ctx == nil || carrier == nil || isNilMap(carrier) {
		return
	}
	s := reqscope.FromContext(ctx)
	if s != nil {
		setAbsent(carrier, carrierCorrelationID, s.CorrelationID())
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() && s != nil {
		sc = s.SpanContext()
	}
	if sc.IsValid() && carrier.Get(carrierTraceparent) == "" {
		if ts := sc.TraceState().String(); ts != "" {
			setAbsent(carrier, carrierTracestate, ts)
		}
		carrier.Set(carrierTraceparent, formatTraceparent(sc))
	}
	if s != nil && s.ForceToken() != "" {
		setAbsent(carrier, carrierForce, s.ForceToken())
	}
}

// isNilMap reports whether the carrier is a nil map, into which Set would
// panic.
func isNilMap(carrier any) bool {
	v := reflect.ValueOf(carrier)
	return v.Kind() == reflect.Map && v.IsNil()
}

// getSetter is the part of a carrier that Inject and Start use.
type getSetter interface {
	Get(key string) string
	Set(key, value string)
}

// setAbsent sets key to value in c unless c holds a value for it.
func setAbsent(c getSetter, key, value string) {
	if c.Get(key) == "" {
		c.Set(key, value)
	}
}

// formatTraceparent returns the W3C traceparent of the valid span context
// sc, version 00, with the flags OpenTelemetry keeps (sampled, random).
func formatTraceparent(sc trace.SpanContext) string {
	var b [55]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	flags := [1]byte{byte(sc.TraceFlags() & (trace.FlagsSampled | trace.FlagsRandom))}
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	hex.Encode(b[53:55], flags[:])
	return string(b[:])
}
