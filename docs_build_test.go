package slogstack_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDocsGoBlocksBuild builds every "go" block of README.md and docs/*.md
// by the rules stated in docs_test.go.
func TestDocsGoBlocksBuild(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: the documentation's code blocks cannot be built")
	}
	dir, err := os.MkdirTemp(".", "_docsbuild")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	var pkgs []string
	for _, page := range docPages(t) {
		for _, b := range readCodeBlocks(t, page) {
			if !b.isGo() {
				continue
			}
			src, err := b.goFile()
			if err != nil {
				t.Error(err)
				continue
			}
			pkg := filepath.Join(dir, fmt.Sprintf("b%03d", len(pkgs)))
			if err := os.Mkdir(pkg, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(pkg, "block.go"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, "./"+filepath.ToSlash(pkg))
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("no go code block found in README.md and docs/")
	}
	cmd := exec.Command(gobin, append([]string{"build"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go build of the documentation's %d go blocks: %v\n%s", len(pkgs), err, out)
	}
}
