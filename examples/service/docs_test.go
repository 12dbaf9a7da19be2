package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// docsPage is the service's documentation page; its "go otlpsink" blocks
// use the otlpsink module, which the library's own docs test cannot build
// and this module requires.
const docsPage = "../../docs/service.md"

// otlpsinkDocImports maps the package names the "go otlpsink" blocks use
// to their import paths.
var otlpsinkDocImports = map[string]string{
	"context":     "context",
	"otlploghttp": "go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp",
	"otlpsink":    "github.com/slogstack/slogstack/otlpsink",
	"slogstack":   "github.com/slogstack/slogstack",
	"time":        "time",
}

// readOTLPSinkBlocks returns the code of the page's blocks whose info
// string is exactly "go otlpsink", with the line each starts at.
func readOTLPSinkBlocks(t *testing.T, page string) (codes []string, lines []int) {
	t.Helper()
	f, err := os.Open(page)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var code *strings.Builder
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case code == nil && strings.TrimSpace(line) == "```go otlpsink":
			code = &strings.Builder{}
			lines = append(lines, n+1)
		case code != nil && strings.TrimSpace(line) == "```":
			codes = append(codes, code.String())
			code = nil
		case code != nil:
			code.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return codes, lines
}

// TestDocsOTLPSinkBlocksBuild builds every "go otlpsink" block of the
// service's page (declarations, wrapped into a package with the imports
// they use) with this module's dependencies, so the code a reader copies
// compiles against otlpsink as it is.
func TestDocsOTLPSinkBlocksBuild(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: the blocks cannot be built")
	}
	codes, lines := readOTLPSinkBlocks(t, docsPage)
	if len(codes) == 0 {
		t.Fatalf("no go otlpsink block in %s", docsPage)
	}
	dir, err := os.MkdirTemp(".", "_docsblocks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	abs, _ := filepath.Abs(docsPage)
	// Each package named: a directory whose name starts with "_" is
	// invisible to "./...", and so to every pattern.
	var pkgs []string
	for i, code := range codes {
		var src strings.Builder
		src.WriteString("package example\n\nimport (\n")
		for name, path := range otlpsinkDocImports {
			if strings.Contains(code, name+".") {
				fmt.Fprintf(&src, "\t%q\n", path)
			}
		}
		fmt.Fprintf(&src, ")\n\n//line %s:%d\n%s", abs, lines[i], code)
		pkg := filepath.Join(dir, fmt.Sprintf("block%d", i))
		pkgs = append(pkgs, "./"+pkg)
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "block.go"), []byte(src.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(gobin, append([]string{"build"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Errorf("go build of the go otlpsink blocks of %s: %v\n%s", docsPage, err, out)
	}
}
