package benchmarks

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The documentation's "before" code for zap and zerolog users
// (docs/migrating.md) needs modules the library does not require, so the
// main module's docs test cannot build it; this module requires them.
// TestDocsExternalGoBlocksBuild builds every fenced block of ../README.md
// and ../docs/*.md whose info string is exactly "go external":
//
//   - a block whose first line starts with "package" is built as written;
//   - any other block must be declarations (funcs, types, vars), wrapped
//     into a file of package "example" with an import for every package
//     name of externalDocImports the block uses without declaring it.
//
// Each block gets its own package in a temporary directory inside this
// module whose name starts with "_" (so "./..." never sees it), removed
// after; one "go build" builds them all, and a //line directive makes every
// compiler error point at the Markdown file and line.

// externalDocImports maps the package names the "go external" blocks use to
// their import paths.
var externalDocImports = map[string]string{
	"zap":       "go.uber.org/zap",
	"zapcore":   "go.uber.org/zap/zapcore",
	"zerolog":   "github.com/rs/zerolog",
	"diode":     "github.com/rs/zerolog/diode",
	"context":   "context",
	"fmt":       "fmt",
	"http":      "net/http",
	"io":        "io",
	"os":        "os",
	"slog":      "log/slog",
	"time":      "time",
	"slogstack": "github.com/slogstack/slogstack",
}

// externalBlock is one "go external" block of a Markdown page.
type externalBlock struct {
	page string
	line int // the block's first code line
	code string
}

// readExternalBlocks returns the "go external" blocks of a Markdown file.
func readExternalBlocks(t *testing.T, page string) []externalBlock {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []externalBlock
	var inFence, external bool
	var b externalBlock
	var code strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		trimmed := strings.TrimSpace(sc.Text())
		switch {
		case !inFence && strings.HasPrefix(trimmed, "```"):
			inFence = true
			external = slices.Equal(strings.Fields(strings.TrimPrefix(trimmed, "```")), []string{"go", "external"})
			b = externalBlock{page: page, line: n + 1}
			code.Reset()
		case inFence && trimmed == "```":
			inFence = false
			if external {
				b.code = code.String()
				blocks = append(blocks, b)
			}
		case inFence:
			code.WriteString(sc.Text())
			code.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// goFile returns the block as a complete Go file.
func (b externalBlock) goFile() ([]byte, error) {
	directive := fmt.Sprintf("//line %s:%d\n", b.page, b.line)
	if strings.HasPrefix(b.code, "package ") {
		return []byte(directive + b.code), nil
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package example\n\n"+directive+b.code, 0)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: a \"go external\" block must be a file or declarations: %v", b.page, b.line, err)
	}
	var paths []string
	for _, id := range f.Unresolved {
		if p, ok := externalDocImports[id.Name]; ok && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var src strings.Builder
	src.WriteString("package example\n\n")
	for _, p := range paths {
		src.WriteString("import " + strconv.Quote(p) + "\n")
	}
	src.WriteString("\n" + directive + b.code)
	return []byte(src.String()), nil
}

func TestDocsExternalGoBlocksBuild(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: the documentation's code blocks cannot be built")
	}
	pages, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join("..", "README.md"))
	dir, err := os.MkdirTemp(".", "_docsexternal")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	var pkgs []string
	for _, page := range pages {
		for _, b := range readExternalBlocks(t, page) {
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
	// docs/migrating.md holds one for zap and one for zerolog.
	if len(pkgs) < 2 {
		t.Fatalf("found %d \"go external\" blocks in the documentation, want at least 2", len(pkgs))
	}
	if out, err := exec.Command(gobin, append([]string{"build"}, pkgs...)...).CombinedOutput(); err != nil {
		t.Errorf("go build of the documentation's %d \"go external\" blocks: %v\n%s", len(pkgs), err, out)
	}
}
