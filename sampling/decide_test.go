package sampling

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/google/go-cmp/cmp"
)

// decideVectors pin the decision formula: XXH64 (seed 0) of the key's bytes
// compared, exactly and strictly, with rate * 2^64. Any change to the hash,
// its seed, the key encoding or the comparison fails this table. The hashes
// of "" and "abc" are the published XXH64 reference values.
var decideVectors = []struct {
	id   string
	hash uint64
	rate float64
	want bool
}{
	{"", 0xef46db3751d8e999, 0.934, false},
	{"", 0xef46db3751d8e999, 0.935, true},
	{"a", 0xd24ec4f1a98c6e5b, 0.821, false},
	{"a", 0xd24ec4f1a98c6e5b, 0.822, true},
	{"abc", 0x44bc2cf5ad770999, 0.268, false},
	{"abc", 0x44bc2cf5ad770999, 0.269, true},
	{"abc", 0x44bc2cf5ad770999, 0.5, true},
	{"0af7651916cd43dd8448eb211c80319c", 0x82d8c03acc9eb486, 0.5, false},
	{"0af7651916cd43dd8448eb211c80319c", 0x82d8c03acc9eb486, 0.512, true},
	{"4bf92f3577b34da6a3ce929d0e0e4736", 0x2ab28d25664b8cfd, 0.1, false},
	{"4bf92f3577b34da6a3ce929d0e0e4736", 0x2ab28d25664b8cfd, 0.167, true},
	{"req-1", 0xd2168ccd8435db70, 0.82, false},
	{"req-1", 0xd2168ccd8435db70, 0.821, true},
	{"req-2", 0xdd4649796e7c202f, 0.864, false},
	{"req-2", 0xdd4649796e7c202f, 0.865, true},
	{"01HZX3K9Q8V6", 0x7c0276c19a82c49d, 0.484, false},
	{"01HZX3K9Q8V6", 0x7c0276c19a82c49d, 0.485, true},
	{"order:42", 0xaa1f6214e0a40ff4, 0.664, false},
	{"order:42", 0xaa1f6214e0a40ff4, 0.665, true},
	{"x.y_z-1", 0xf2c604a89949d51a, 0.948, false},
	{"x.y_z-1", 0xf2c604a89949d51a, 0.949, true},
	{"x.y_z-1", 0xf2c604a89949d51a, 1, true},
	{"x.y_z-1", 0xf2c604a89949d51a, 0, false},
	// The hash of "boundary-1764" is a multiple of 2^12, so hash/2^64 is a
	// float64 exactly: at that rate the strict "<" says no, one ulp above
	// says yes (2^11 is one ulp of a value near 2^63).
	{"boundary-1764", 0xa9968383c172a000, 0xa9968383c172a000p-64, false},
	{"boundary-1764", 0xa9968383c172a000, 0xa9968383c172a800p-64, true},
}

func TestDecideVectors(t *testing.T) {
	for _, v := range decideVectors {
		if h := xxhash.Sum64String(v.id); h != v.hash {
			t.Errorf("xxhash64(%q) = %#016x, want %#016x", v.id, h, v.hash)
		}
		if got := Decide(v.id, v.rate); got != v.want {
			t.Errorf("Decide(%q, %v) = %v, want %v", v.id, v.rate, got, v.want)
		}
	}
}

func TestDecideEdges(t *testing.T) {
	ids := randomIDs(rand.New(rand.NewPCG(1, 2)), 2000)
	for _, tc := range []struct {
		name string
		rate float64
		want func(h uint64) bool
	}{
		{"zero", 0, func(uint64) bool { return false }},
		{"negative zero", math.Copysign(0, -1), func(uint64) bool { return false }},
		{"negative", -0.5, func(uint64) bool { return false }},
		{"-Inf", math.Inf(-1), func(uint64) bool { return false }},
		{"NaN", math.NaN(), func(uint64) bool { return false }},
		{"one", 1, func(uint64) bool { return true }},
		{"above one", 1.5, func(uint64) bool { return true }},
		{"+Inf", math.Inf(1), func(uint64) bool { return true }},
		{"MaxFloat64", math.MaxFloat64, func(uint64) bool { return true }},
		// 1 - 2^-53: the threshold is 2^64 - 2^11.
		{"just below one", math.Nextafter(1, 0), func(h uint64) bool { return h < 1<<64-1<<11 }},
		// Denormals: the threshold is a positive fraction, so only hash 0.
		{"smallest denormal", math.SmallestNonzeroFloat64, func(h uint64) bool { return h == 0 }},
		{"largest denormal", 0x1p-1022 - math.SmallestNonzeroFloat64, func(h uint64) bool { return h == 0 }},
		{"2^-64", 0x1p-64, func(h uint64) bool { return h == 0 }},
		{"2^-63", 0x1p-63, func(h uint64) bool { return h <= 1 }},
		{"1.5 * 2^-64", 0x1.8p-64, func(h uint64) bool { return h <= 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range ids {
				if got, want := Decide(id, tc.rate), tc.want(xxhash.Sum64String(id)); got != want {
					t.Fatalf("Decide(%q, %v) = %v, want %v", id, tc.rate, got, want)
				}
			}
		})
	}
	// below against the real-number definition at integer and fractional
	// thresholds, for hashes right at them.
	for _, tc := range []struct {
		h    uint64
		rate float64
		want bool
	}{
		{0, 0x1p-64, true},         // 0 < 1
		{1, 0x1p-64, false},        // 1 < 1 is false
		{1, 0x1.8p-64, true},       // 1 < 1.5
		{2, 0x1.8p-64, false},      // 2 < 1.5 is false
		{1 << 12, 0x1p-52, false},  // 4096 < 4096 is false
		{1<<12 - 1, 0x1p-52, true}, // 4095 < 4096
		{math.MaxUint64, 1, true},  // rate 1 takes everything
		{1<<64 - 1<<11, math.Nextafter(1, 0), false},
		{1<<64 - 1<<11 - 1, math.Nextafter(1, 0), true},
	} {
		if got := below(tc.h, tc.rate); got != tc.want {
			t.Errorf("below(%d, %v) = %v, want %v", tc.h, tc.rate, got, tc.want)
		}
	}
}

// randomIDs returns n IDs shaped like generated correlation IDs (32
// lower-case hex characters).
func randomIDs(rng *rand.Rand, n int) []string {
	ids := make([]string, n)
	var b [16]byte
	for i := range ids {
		for j := 0; j < 16; j += 8 {
			u := rng.Uint64()
			for k := 0; k < 8; k++ {
				b[j+k] = byte(u >> (8 * k))
			}
		}
		ids[i] = hex.EncodeToString(b[:])
	}
	return ids
}

func TestDecideObservedRate(t *testing.T) {
	rates := []float64{0.01, 0.1, 0.5, 0.9}
	// One point is 2 standard deviations at rate 0.5 over 10,000 IDs (and
	// 3.3 at 0.1), so about one random set in twenty misses it at 0.5: the
	// SPEC bound is a statement about typical sets, not a certainty. This
	// subtest uses one fixed, reproducible set (PCG seed 2; seed 1 happens
	// to land 2.5 sigma off at 0.5); the one-million subtest below is the
	// statistical check.
	t.Run("10k within one point", func(t *testing.T) {
		ids := randomIDs(rand.New(rand.NewPCG(2, 7)), 10_000)
		for _, r := range rates {
			got := observed(ids, r)
			if math.Abs(got-r) > 0.01 {
				t.Errorf("rate %v: observed %.4f over %d IDs", r, got, len(ids))
			}
		}
	})
	t.Run("1M within four sigma", func(t *testing.T) {
		n := 1_000_000
		if testing.Short() {
			n = 200_000
		}
		ids := randomIDs(rand.New(rand.NewPCG(42, 43)), n)
		for _, r := range rates {
			got := observed(ids, r)
			sigma := math.Sqrt(r * (1 - r) / float64(n))
			if math.Abs(got-r) > 4*sigma {
				t.Errorf("rate %v: observed %.6f over %d IDs, more than 4 sigma (%.6f) off", r, got, n, sigma)
			}
		}
	})
}

func observed(ids []string, rate float64) float64 {
	k := 0
	for _, id := range ids {
		if Decide(id, rate) {
			k++
		}
	}
	return float64(k) / float64(len(ids))
}

func TestDecideMonotone(t *testing.T) {
	ids := randomIDs(rand.New(rand.NewPCG(3, 4)), 2000)
	rates := []float64{-1, 0, math.SmallestNonzeroFloat64, 1e-9, 0.001, 0.01, 0.05, 0.1, 0.25, 0.333, 0.5, 0.51, 0.75, 0.9, 0.99, math.Nextafter(1, 0), 1, 2}
	for _, id := range ids {
		prev := false
		for _, r := range rates {
			got := Decide(id, r)
			if prev && !got {
				t.Fatalf("%q is sampled below rate %v but not at it", id, r)
			}
			prev = got
		}
		// The key's own threshold: sampled one ulp above hash/2^64, not below.
		h := xxhash.Sum64String(id)
		at := float64(h) / two64
		if Decide(id, math.Nextafter(at, 0)) && h != 0 {
			t.Fatalf("%q sampled below its own threshold", id)
		}
		if !Decide(id, math.Nextafter(at, 2)) {
			t.Fatalf("%q not sampled above its own threshold", id)
		}
	}
}

// childEnv makes the test binary print decisions instead of testing.
const childEnv = "SLOGSTACK_SAMPLING_DECIDE_CHILD"

// crossProcessInput returns the IDs and rates every process decides.
func crossProcessInput() ([]string, []float64) {
	ids := randomIDs(rand.New(rand.NewPCG(11, 12)), 500)
	ids = append(ids, "", "a", "req-1", "boundary-1764")
	return ids, []float64{0.01, 0.1, 0.5, 0.9, 0xa9968383c172a000p-64}
}

func decisionsText() string {
	ids, rates := crossProcessInput()
	var b strings.Builder
	for _, id := range ids {
		for _, r := range rates {
			fmt.Fprintf(&b, "%q %v %v\n", id, strconv.FormatFloat(r, 'g', -1, 64), Decide(id, r))
		}
	}
	return b.String()
}

// TestDecideAcrossProcesses runs the decision in two fresh processes of
// this test binary and compares their answers with this process's: a
// per-process seed (hash/maphash, map order) anywhere in the decision
// would make them differ.
func TestDecideAcrossProcesses(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		fmt.Print("BEGIN\n" + decisionsText() + "END\n")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want := decisionsText()
	for i := 0; i < 2; i++ {
		cmd := exec.Command(exe, "-test.run=^TestDecideAcrossProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, out)
		}
		got := between(out, "BEGIN\n", "END\n")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("child %d decided differently (-parent +child):\n%s", i, diff)
		}
	}
}

func between(out []byte, begin, end string) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	var b strings.Builder
	in := false
	for sc.Scan() {
		line := sc.Text() + "\n"
		switch {
		case line == begin:
			in = true
		case line == end:
			in = false
		case in:
			b.WriteString(line)
		}
	}
	return b.String()
}

func FuzzDecide(f *testing.F) {
	f.Add("0af7651916cd43dd8448eb211c80319c", 0.1, 0.5)
	f.Add("", 0.0, 1.0)
	f.Add("x", math.NaN(), math.Inf(1))
	f.Add("y", 5e-324, 0x1p-64)
	f.Fuzz(func(t *testing.T, id string, r1, r2 float64) {
		if r2 < r1 || math.IsNaN(r1) || math.IsNaN(r2) {
			r1, r2 = r2, r1
		}
		d1, d2 := Decide(id, r1), Decide(id, r2)
		if !math.IsNaN(r1) && !math.IsNaN(r2) && r1 <= r2 && d1 && !d2 {
			t.Fatalf("not monotone: Decide(%q, %v) but not at %v", id, r1, r2)
		}
		if Decide(id, r1) != d1 {
			t.Fatal("not deterministic")
		}
		// The exact definition, for rates whose threshold is an integer.
		if r1 > 0 && r1 < 1 && r1*two64 >= 0x1p52 {
			if want := xxhash.Sum64String(id) < uint64(r1*two64); d1 != want {
				t.Fatalf("Decide(%q, %v) = %v, want %v", id, r1, d1, want)
			}
		}
	})
}
