package scope_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoNetHTTP checks that the scope package, which serves jobs
// and queue consumers as well as HTTP requests, does not depend on
// net/http (or anything under it) or expvar.
func TestImportsNoNetHTTP(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/slogstack/slogstack/scope").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, d := range deps {
		if d == "net/http" || strings.HasPrefix(d, "net/http/") || d == "expvar" {
			t.Errorf("scope depends on %s", d)
		}
	}
}
