package handler

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// importPath is this package's import path.
const importPath = "github.com/slogstack/slogstack/handler"

// internalDeps are the only dependencies outside the standard library:
// the module's internal package through which its other handlers drive
// this one's encoder (itself importing only the standard library).
var internalDeps = []string{"github.com/slogstack/slogstack/internal/fuse"}

// TestImportsOnlyStandardLibrary asserts the import graph of the package
// (not of its tests): every dependency is in the standard library except
// internalDeps, and none
// is net/http (whose packages a JSON encoder has no use for) or expvar
// (whose init registers /debug/vars on http.DefaultServeMux).
func TestImportsOnlyStandardLibrary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps, forbidden := parseDeps(string(out))
	if _, listed := deps[importPath]; !listed {
		t.Fatalf("go list -deps did not list %s itself; output:\n%s", importPath, out)
	}
	var nonStandard []string
	for path, standard := range deps {
		if !standard && path != importPath {
			nonStandard = append(nonStandard, path)
		}
	}
	slices.Sort(nonStandard)
	if diff := cmp.Diff(internalDeps, nonStandard); diff != "" {
		t.Errorf("dependencies outside the standard library (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), forbidden); diff != "" {
		t.Errorf("forbidden dependencies (-want +got):\n%s", diff)
	}
}

// parseDeps reads the lines "path standard" of go list: the dependencies
// with whether each is in the standard library, and those of them that are
// net/http, one of its packages, or expvar.
func parseDeps(out string) (deps map[string]bool, forbidden []string) {
	deps = map[string]bool{}
	for line := range strings.Lines(out) {
		path, standard, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		deps[path] = standard == "true"
		if path == "expvar" || path == "net/http" || strings.HasPrefix(path, "net/http/") {
			forbidden = append(forbidden, path)
		}
	}
	return deps, forbidden
}
