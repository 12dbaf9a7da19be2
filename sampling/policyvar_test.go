package sampling

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"
)

// decideBy returns d's decision as a comparable value.
func decideBy(d Decider, path, id string, sc trace.SpanContext) decision {
	s, r, why := d.Decide(path, id, sc)
	return decision{s, r, why}
}

// TestPolicyVarZero checks that the zero PolicyVar holds and decides as
// the zero Policy.
func TestPolicyVarZero(t *testing.T) {
	var v PolicyVar
	if diff := cmp.Diff(Policy{}, v.Load()); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	for _, id := range []string{"", "a", "0af7651916cd43dd8448eb211c80319c"} {
		if got, want := decideBy(&v, "/x", id, trace.SpanContext{}), decideBy(Policy{}, "/x", id, trace.SpanContext{}); got != want {
			t.Errorf("zero PolicyVar decides %+v for %q, the zero Policy %+v", got, id, want)
		}
	}
}

// TestPolicyVarDecidesAsStored checks, over random policies, IDs and
// paths, that a PolicyVar decides exactly as the Policy last stored.
func TestPolicyVarDecidesAsStored(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	span := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	paths := []string{"/health", "/api/pay", "/api/orders", "/x/"}
	var v PolicyVar
	for range 200 {
		p := Policy{
			Rate:              []float64{0, 1, rng.Float64(), -1, 2}[rng.IntN(5)],
			AlwaysSamplePaths: [][]string{nil, {"/api/pay"}}[rng.IntN(2)],
			ExcludedPaths:     [][]string{nil, {"/health", "/x/"}}[rng.IntN(2)],
			FollowTrace:       rng.IntN(2) == 0,
		}
		v.Store(p)
		for range 20 {
			id, path := fmt.Sprintf("%x", rng.Uint64()), paths[rng.IntN(len(paths))]
			sc := []trace.SpanContext{{}, span}[rng.IntN(2)]
			if got, want := decideBy(&v, path, id, sc), decideBy(p, path, id, sc); got != want {
				t.Fatalf("policy %+v, %s %s: PolicyVar decides %+v, Policy %+v", p, path, id, got, want)
			}
		}
	}
}

// TestPolicyVarOwnsItsLists checks that neither the caller's slices after
// Store nor the ones Load returns share memory with the var.
func TestPolicyVarOwnsItsLists(t *testing.T) {
	always, excluded := []string{"/pay"}, []string{"/health"}
	var v PolicyVar
	v.Store(Policy{Rate: 0, AlwaysSamplePaths: always, ExcludedPaths: excluded})
	always[0], excluded[0] = "/changed", "/changed"
	loaded := v.Load()
	loaded.AlwaysSamplePaths[0], loaded.ExcludedPaths[0] = "/changed", "/changed"
	want := Policy{Rate: 0, AlwaysSamplePaths: []string{"/pay"}, ExcludedPaths: []string{"/health"}}
	if diff := cmp.Diff(want, v.Load()); diff != "" {
		t.Errorf("the var's policy changed with the caller's slices (-want +got):\n%s", diff)
	}
	if got := decideBy(&v, "/pay", "id", trace.SpanContext{}); got != (decision{true, 1, "path"}) {
		t.Errorf("/pay decided %+v, want sampled by its path", got)
	}
}

// TestPolicyVarRaiseOnlyAdds checks over thousands of random IDs that
// storing a higher rate only adds sampled IDs.
func TestPolicyVarRaiseOnlyAdds(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	ids := randomIDs(rng, 5000)
	var v PolicyVar
	for range 20 {
		r1, r2 := rng.Float64(), rng.Float64()
		if r1 > r2 {
			r1, r2 = r2, r1
		}
		v.Store(Policy{Rate: r1})
		low := map[string]bool{}
		for _, id := range ids {
			if s, _, _ := v.Decide("/", id, trace.SpanContext{}); s {
				low[id] = true
			}
		}
		v.Store(Policy{Rate: r2})
		for _, id := range ids {
			if s, _, _ := v.Decide("/", id, trace.SpanContext{}); !s && low[id] {
				t.Fatalf("%s sampled at rate %v, not at the higher rate %v", id, r1, r2)
			}
		}
	}
}

// TestPolicyVarConcurrent stores two policies in turn while readers
// decide and load: race-free (-race), and every decision is one of the two
// policies' whole decisions, never a mix.
func TestPolicyVarConcurrent(t *testing.T) {
	a := Policy{Rate: 0, ExcludedPaths: []string{"/x"}}
	b := Policy{Rate: 1, AlwaysSamplePaths: []string{"/x"}}
	want := map[decision]bool{decideBy(a, "/x", "id", trace.SpanContext{}): true, decideBy(b, "/x", "id", trace.SpanContext{}): true}
	var v PolicyVar
	v.Store(a)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 2000 {
			v.Store([]Policy{a, b}[i%2])
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				if got := decideBy(&v, "/x", "id", trace.SpanContext{}); !want[got] {
					t.Errorf("decision %+v is neither policy's", got)
					return
				}
				if p := v.Load(); !cmp.Equal(p, a) && !cmp.Equal(p, b) {
					t.Errorf("Load returned %+v, neither policy stored", p)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestPolicyVarDecideAllocs checks that deciding through a PolicyVar
// allocates nothing.
func TestPolicyVarDecideAllocs(t *testing.T) {
	var v PolicyVar
	v.Store(DefaultPolicy())
	if n := testing.AllocsPerRun(100, func() { v.Decide("/api/orders", "0af7651916cd43dd8448eb211c80319c", trace.SpanContext{}) }); n != 0 {
		t.Errorf("Decide allocates %v times", n)
	}
}

func BenchmarkPolicyVarDecide(b *testing.B) {
	var v PolicyVar
	v.Store(DefaultPolicy())
	for b.Loop() {
		v.Decide("/api/orders", "0af7651916cd43dd8448eb211c80319c", trace.SpanContext{})
	}
}
