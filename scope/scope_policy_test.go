package scope

import (
	"context"
	"testing"

	"github.com/slogstack/slogstack/sampling"
)

// TestStartPolicyKinds checks each kind of Options.Policy: nil decides as
// the zero Policy, a *sampling.PolicyVar decides by the policy stored when
// the scope opens, and a nil *sampling.PolicyVar panics with a message
// saying so.
func TestStartPolicyKinds(t *testing.T) {
	decision := func(p sampling.Decider) Decision {
		ctx, end := Start(context.Background(), Options{Name: "job", CorrelationID: "job-1", Policy: p})
		defer end(nil)
		d, _ := DecisionOf(ctx)
		return d
	}
	if d := decision(nil); d.Sampled || d.Reason != "rate" || d.Rate != 0 {
		t.Errorf("nil Policy: %+v, want not sampled at rate 0", d)
	}
	v := new(sampling.PolicyVar)
	v.Store(sampling.Policy{Rate: 1})
	if d := decision(v); !d.Sampled || d.Rate != 1 {
		t.Errorf("PolicyVar holding rate 1: %+v, want sampled", d)
	}
	defer func() {
		const want = "scope: Options.Policy is a nil *sampling.PolicyVar"
		if r := recover(); r != want {
			t.Errorf("nil *PolicyVar: panic %v, want %q", r, want)
		}
	}()
	decision((*sampling.PolicyVar)(nil))
}
