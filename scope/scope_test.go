package scope

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/sampling"
)

func TestStart(t *testing.T) {
	never := sampling.Policy{Rate: 0, ExcludedPaths: []string{"job/noisy"}, AlwaysSamplePaths: []string{"job/billing"}}
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		opts      Options
		wantID    string // "" means generated
		want      Decision
		wantTrace bool
	}{
		{name: "zero options sample nothing", opts: Options{}, want: Decision{Sampled: false, Rate: 0, Reason: "rate"}},
		{name: "default policy", opts: Options{CorrelationID: "d", Name: "/healthz", Policy: sampling.DefaultPolicy()}, wantID: "d", want: Decision{Sampled: false, Rate: 0.1, Reason: "excluded"}},
		{name: "given ID", opts: Options{CorrelationID: "msg-1", Policy: never}, wantID: "msg-1", want: Decision{Reason: "rate"}},
		{name: "invalid ID replaced", opts: Options{CorrelationID: "bad id", Policy: never}, want: Decision{Reason: "rate"}},
		{name: "span context option", opts: Options{SpanContext: testSpanContext, Policy: never}, wantID: testTraceID.String(), want: Decision{Reason: "rate"}, wantTrace: true},
		{name: "span in context", ctx: withSpan(context.Background(), testSpanContext), opts: Options{Policy: never}, wantID: testTraceID.String(), want: Decision{Reason: "rate"}, wantTrace: true},
		{name: "follow trace", opts: Options{SpanContext: testSpanContext, Policy: sampling.Policy{FollowTrace: true}}, wantID: testTraceID.String(), want: Decision{Sampled: true, Reason: "trace"}, wantTrace: true},
		{name: "name excluded", opts: Options{CorrelationID: "x", Name: "job/noisy", Policy: never}, wantID: "x", want: Decision{Reason: "excluded"}},
		{name: "name always sampled", opts: Options{CorrelationID: "x", Name: "job/billing/monthly", Policy: never}, wantID: "x", want: Decision{Sampled: true, Rate: 1, Reason: "path"}},
		{name: "nil context", opts: Options{CorrelationID: "n", Policy: sampling.Policy{Rate: 1}}, wantID: "n", want: Decision{Sampled: true, Rate: 1, Reason: "rate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, end := Start(tc.ctx, tc.opts)
			defer end(nil)
			id := CorrelationID(ctx)
			if tc.wantID == "" {
				if len(id) != 32 || !reqscope.ValidID(id) {
					t.Errorf("generated ID %q", id)
				}
			} else if id != tc.wantID {
				t.Errorf("ID %q, want %q", id, tc.wantID)
			}
			d, ok := DecisionOf(ctx)
			if !ok {
				t.Fatal("DecisionOf found no scope")
			}
			if diff := cmp.Diff(tc.want, d); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if s := scopeOf(ctx); s.SpanContext().IsValid() != tc.wantTrace {
				t.Errorf("span context valid = %v", s.SpanContext().IsValid())
			}
		})
	}
}

func TestStartEnd(t *testing.T) {
	ctx, end := Start(context.Background(), Options{})
	if d, _ := DecisionOf(ctx); d.Sampled {
		t.Fatal("sampled at rate 0")
	}
	end(nil)
	if s := scopeOf(ctx); !s.Ended() || s.Kept() {
		t.Errorf("end(nil): ended=%v kept=%v, want ended, not kept", s.Ended(), s.Kept())
	}

	ctx, end = Start(context.Background(), Options{})
	end(errors.New("failed"))
	end(nil) // a second call changes nothing
	d, _ := DecisionOf(ctx)
	if s := scopeOf(ctx); !s.Ended() || !s.Kept() || !d.Sampled {
		t.Errorf("end(err): ended=%v kept=%v sampled=%v, want all", s.Ended(), s.Kept(), d.Sampled)
	}
}

func TestKeepAndDecisionOf(t *testing.T) {
	if Keep(context.Background()) {
		t.Error("Keep without a scope reported true")
	}
	var nilCtx context.Context
	for _, ctx := range []context.Context{context.Background(), nilCtx} {
		if d, ok := DecisionOf(ctx); ok || d != (Decision{}) {
			t.Errorf("DecisionOf without a scope = %+v, %v; want the zero Decision, false", d, ok)
		}
	}
	ctx, end := Start(context.Background(), Options{Name: "job", Policy: sampling.Policy{Rate: 0.25, ExcludedPaths: []string{"job"}}})
	defer end(nil)
	before, _ := DecisionOf(ctx)
	if !Keep(ctx) || Keep(ctx) {
		t.Error("Keep should report true once")
	}
	after, _ := DecisionOf(ctx)
	want := []Decision{
		{Sampled: false, Rate: 0.25, Reason: "excluded"},
		{Sampled: true, Rate: 0.25, Reason: "error"},
	}
	if diff := cmp.Diff(want, []Decision{before, after}); diff != "" {
		t.Errorf("decision before and after Keep (-want +got):\n%s", diff)
	}
}
