package benchmarks

import "testing"

// BenchmarkBuffered measures the caller's cost of the buffered and
// asynchronous setups (BufferedTargets) to io.Discard and to a real file,
// serial and parallel, and the records each counted as dropped per call
// once closed (drops/op). The drain after the last call is not timed: the
// sustained rate is cmd/stall's to measure.
func BenchmarkBuffered(b *testing.B) {
	modes := []mode{
		{name: "discard-serial"},
		{name: "discard-parallel", parallel: true},
		{name: "file-serial", file: true},
		{name: "file-parallel", parallel: true, file: true},
	}
	for _, t := range BufferedTargets() {
		for _, m := range modes {
			b.Run(t.Name+"/"+m.name, func(b *testing.B) { runTarget(b, t, m, true) })
		}
	}
}
