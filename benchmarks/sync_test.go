package benchmarks

import "testing"

// BenchmarkSync logs the standard payload synchronously to io.Discard
// through every SyncTargets setup: serial and parallel, with AddSource off
// and (for targets that format the source) on.
func BenchmarkSync(b *testing.B) {
	modes := []mode{
		{name: "serial"},
		{name: "parallel", parallel: true},
		{name: "src-serial", src: true},
		{name: "src-parallel", parallel: true, src: true},
	}
	for _, t := range SyncTargets() {
		for _, m := range modes {
			if m.src && !t.Source {
				continue
			}
			b.Run(t.Name+"/"+m.name, func(b *testing.B) { runTarget(b, t, m, false) })
		}
	}
}
