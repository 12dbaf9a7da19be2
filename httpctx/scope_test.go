package httpctx

import (
	"context"
	"errors"
	"testing"

	"github.com/slogstack/slogstack/sampling"
)

func TestStart(t *testing.T) {
	never := sampling.Policy{Rate: -1, ExcludedPaths: []string{"job/noisy"}, AlwaysSamplePaths: []string{"job/billing"}}
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		opts      StartOptions
		wantID    string // "" means generated
		sampled   bool
		reason    string
		wantTrace bool
	}{
		{name: "given ID", opts: StartOptions{CorrelationID: "msg-1", Policy: never}, wantID: "msg-1", reason: sampling.ReasonRate},
		{name: "invalid ID replaced", opts: StartOptions{CorrelationID: "bad id", Policy: never}, reason: sampling.ReasonRate},
		{name: "span context option", opts: StartOptions{SpanContext: testSpanContext, Policy: never}, wantID: testTraceID.String(), reason: sampling.ReasonRate, wantTrace: true},
		{name: "span in context", ctx: withSpan(context.Background(), testSpanContext), opts: StartOptions{Policy: never}, wantID: testTraceID.String(), reason: sampling.ReasonRate, wantTrace: true},
		{name: "follow trace", opts: StartOptions{SpanContext: testSpanContext, Policy: sampling.Policy{Rate: -1, FollowTrace: true}}, wantID: testTraceID.String(), sampled: true, reason: sampling.ReasonTrace, wantTrace: true},
		{name: "name excluded", opts: StartOptions{CorrelationID: "x", Name: "job/noisy", Policy: never}, wantID: "x", reason: sampling.ReasonExcluded},
		{name: "name always sampled", opts: StartOptions{CorrelationID: "x", Name: "job/billing/monthly", Policy: never}, wantID: "x", sampled: true, reason: sampling.ReasonPath},
		{name: "nil context", opts: StartOptions{CorrelationID: "n", Policy: sampling.Policy{Rate: 1}}, wantID: "n", sampled: true, reason: sampling.ReasonRate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, end := Start(tc.ctx, tc.opts)
			defer end(nil)
			s := scopeOf(ctx)
			id := CorrelationID(ctx)
			if tc.wantID == "" {
				if len(id) != 32 || !ValidCorrelationID(id) {
					t.Errorf("generated ID %q", id)
				}
			} else if id != tc.wantID {
				t.Errorf("ID %q, want %q", id, tc.wantID)
			}
			if d := s.Decision(); d.Sampled != tc.sampled || d.Reason != tc.reason {
				t.Errorf("decision %+v, want sampled=%v reason=%s", d, tc.sampled, tc.reason)
			}
			if s.SpanContext().IsValid() != tc.wantTrace {
				t.Errorf("span context valid = %v", s.SpanContext().IsValid())
			}
		})
	}
}

func TestStartEnd(t *testing.T) {
	never := sampling.Policy{Rate: -1}
	ctx, end := Start(context.Background(), StartOptions{Policy: never})
	if Sampled(ctx) {
		t.Fatal("sampled at rate -1")
	}
	end(nil)
	if s := scopeOf(ctx); !s.Ended() || s.Kept() {
		t.Errorf("end(nil): ended=%v kept=%v, want ended, not kept", s.Ended(), s.Kept())
	}

	ctx, end = Start(context.Background(), StartOptions{Policy: never})
	end(errors.New("failed"))
	end(nil) // a second call changes nothing
	if s := scopeOf(ctx); !s.Ended() || !s.Kept() || !Sampled(ctx) {
		t.Errorf("end(err): ended=%v kept=%v, want both", s.Ended(), s.Kept())
	}
}

func TestKeepAndSampled(t *testing.T) {
	if Keep(context.Background()) {
		t.Error("Keep without a scope reported true")
	}
	if !Sampled(context.Background()) {
		t.Error("Sampled without a scope reported false")
	}
	ctx, end := Start(context.Background(), StartOptions{Policy: sampling.Policy{Rate: -1}})
	defer end(nil)
	if !Keep(ctx) || Keep(ctx) {
		t.Error("Keep should report true once")
	}
	if !Sampled(ctx) {
		t.Error("kept scope not sampled")
	}
}
