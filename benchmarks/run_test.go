package benchmarks

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// mode is how a benchmark drives a setup.
type mode struct {
	name     string
	parallel bool // b.RunParallel with GOMAXPROCS goroutines, else one
	src      bool // Options.AddSource
	file     bool // a real file in b.TempDir, else io.Discard
}

// runTarget opens t, logs the payload b.N times as m says, then closes the
// setup with the timer stopped. When drops is set it reports the records
// the setup counted as dropped per call, as drops/op.
func runTarget(b *testing.B, t Target, m mode, drops bool) {
	var w io.Writer = io.Discard
	if m.file {
		f, err := os.Create(filepath.Join(b.TempDir(), "log.json"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	runSetup(b, t.Open(w, Options{AddSource: m.src}), m.parallel, drops)
}

// runSetup logs through s b.N times, serially or in parallel, then closes
// it with the timer stopped and reports drops/op when drops is set.
func runSetup(b *testing.B, s Setup, parallel, drops bool) {
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Log()
			}
		})
	} else {
		for range b.N {
			s.Log()
		}
	}
	b.StopTimer()
	dropped, err := s.Shut()
	if err != nil {
		b.Fatal(err)
	}
	if drops {
		b.ReportMetric(float64(dropped)/float64(b.N), "drops/op")
	}
}

// modeName names a serial or parallel benchmark variant.
func modeName(parallel bool) string {
	if parallel {
		return "parallel"
	}
	return "serial"
}
