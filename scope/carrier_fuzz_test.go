package scope

import (
	"context"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/propagation"
)

// FuzzStartCarrier opens scopes from message headers of any content: Start
// never panics, the scope's correlation ID is always a valid one (the
// carried ID exactly when it is valid), a scope is forced only by the one
// genuine token for its ID, and Inject writes back what Start took.
func FuzzStartCarrier(f *testing.F) {
	genuine, err := sampling.ForceToken(carrierKey, "msg-1", time.Now().Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("msg-1", "00-0102030405060708090a0b0c0d0e0f10-0102030405060708-01", "k=v", genuine)
	f.Add("bad id", "00-zz", "==", "v1.1.AAAA")
	f.Add("", "", "", "")
	f.Add("msg-1", "ff-0102030405060708090a0b0c0d0e0f10-0102030405060708-01", "a=b,c=d", genuine+"x")
	f.Fuzz(func(t *testing.T, id, tp, ts, tok string) {
		in := propagation.MapCarrier{"X-Correlation-ID": id, "traceparent": tp, "tracestate": ts, "X-Log-Force": tok}
		ctx, end := Start(context.Background(), Options{Carrier: in, ForceKey: carrierKey})
		defer end(nil)
		s := scopeOf(ctx)
		if !reqscope.ValidID(s.CorrelationID()) {
			t.Fatalf("correlation ID %q is not valid", s.CorrelationID())
		}
		if reqscope.ValidID(id) && s.CorrelationID() != id {
			t.Fatalf("valid carried ID %q, scope has %q", id, s.CorrelationID())
		}
		d, _ := DecisionOf(ctx)
		if forced := d.Reason == "forced"; forced != (tok == genuine && s.CorrelationID() == "msg-1") {
			t.Fatalf("token %q for ID %q: decision %+v", tok, s.CorrelationID(), d)
		}
		out := propagation.MapCarrier{}
		Inject(ctx, out)
		if out["X-Correlation-ID"] != s.CorrelationID() {
			t.Fatalf("Inject wrote ID %q, scope has %q", out["X-Correlation-ID"], s.CorrelationID())
		}
		if (out["X-Log-Force"] != "") != (d.Reason == "forced") {
			t.Fatalf("Inject wrote token %q for decision %+v", out["X-Log-Force"], d)
		}
	})
}
