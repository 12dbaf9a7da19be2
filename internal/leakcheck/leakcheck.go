package leakcheck

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Check records the goroutines running now and, when the test ends, fails
// it if new goroutines are still running after a grace period of up to five
// seconds. Do not use it in tests that call t.Parallel.
func Check(t testing.TB) {
	t.Helper()
	before := ids(stacks())
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked := leaked(before)
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("leakcheck: %d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Split(string(bytes.TrimSpace(buf)), "\n\n")
}

// id returns the "goroutine N" prefix of a stack.
func id(stack string) string {
	head, _, _ := strings.Cut(stack, " [")
	return head
}

func ids(all []string) map[string]bool {
	m := make(map[string]bool, len(all))
	for _, s := range all {
		m[id(s)] = true
	}
	return m
}

// ignored are goroutines the runtime and the testing package start on their
// own; they are not the code under test.
var ignored = []string{
	"testing.(*T).Run",
	"testing.tRunner(",
	"testing.runFuzzing",
	"testing.(*F).Fuzz",
	"runtime.goexit0",
	"os/signal.signal_recv",
	"runtime.ReadTrace",
	"runtime/trace.Start",
	"testing.(*M).startAlarm",
	"testing.runTests",
}

func leaked(before map[string]bool) []string {
	var out []string
	all := stacks()
	for i, s := range all {
		if i == 0 || before[id(s)] { // the first stack is the caller's own
			continue
		}
		if isIgnored(s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func isIgnored(stack string) bool {
	// The top frame is the second line of a stack.
	lines := strings.SplitN(stack, "\n", 3)
	if len(lines) >= 2 {
		for _, ig := range ignored {
			if strings.Contains(lines[1], ig) {
				return true
			}
		}
	}
	return strings.Contains(stack, "testing.(*T).Run(") && strings.Contains(stack, "chan receive")
}
