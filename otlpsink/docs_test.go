package otlpsink

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docsPage is the module's page in the project's documentation.
const docsPage = "../docs/otlpsink.md"

// docsBlock is one fenced block of docsPage whose info string is
// "go otlpsink": Go that this module builds (the library's own
// documentation test skips them, as the library does not require this
// module).
type docsBlock struct {
	line int
	code string
}

func docsBlocks(t *testing.T) []docsBlock {
	t.Helper()
	page, err := os.ReadFile(docsPage)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docsBlock
	var code *strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(page))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch trimmed := strings.TrimSpace(line); {
		case code == nil && strings.HasPrefix(trimmed, "```") &&
			slices.Equal(strings.Fields(strings.TrimPrefix(trimmed, "```")), []string{"go", "otlpsink"}):
			code, start = &strings.Builder{}, n+1
		case code != nil && trimmed == "```":
			blocks = append(blocks, docsBlock{line: start, code: code.String()})
			code = nil
		case code != nil:
			code.WriteString(line + "\n")
		}
	}
	return blocks
}

// TestDocsGoBlocksBuild vets every whole-file block of docsPage, and checks
// that the declaration blocks parse and that the ExportStats block lists
// the type's fields as declared.
func TestDocsGoBlocksBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the page's code with the go command")
	}
	blocks := docsBlocks(t)
	if len(blocks) == 0 {
		t.Fatalf("%s has no go otlpsink block", docsPage)
	}
	dir, err := os.MkdirTemp(".", "_docs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var pkgs []string
	for i, b := range blocks {
		if !strings.HasPrefix(b.code, "package ") {
			f, err := parser.ParseFile(token.NewFileSet(), "block.go", "package p\n"+b.code, 0)
			if err != nil {
				t.Errorf("%s:%d: the block does not parse: %v", docsPage, b.line, err)
				continue
			}
			checkStatsFields(t, b, f)
			continue
		}
		pkg := filepath.Join(dir, fmt.Sprint("b", i))
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf("//line %s:%d\n%s", filepath.Base(docsPage), b.line, b.code)
		if err := os.WriteFile(filepath.Join(pkg, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(pkg))
	}
	if len(pkgs) == 0 {
		t.Fatalf("%s has no whole-file go otlpsink block", docsPage)
	}
	cmd := exec.Command("go", append([]string{"vet"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the code of %s does not build: %v\n%s", docsPage, err, out)
	}
}

// checkStatsFields fails if the block declares ExportStats with other
// fields, or in another order, than the type has.
func checkStatsFields(t *testing.T, b docsBlock, f *ast.File) {
	t.Helper()
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.TypeSpec)
		if !ok || spec.Name.Name != "ExportStats" {
			return true
		}
		var doc []string
		for _, field := range spec.Type.(*ast.StructType).Fields.List {
			for _, name := range field.Names {
				doc = append(doc, name.Name)
			}
		}
		var real []string
		for f := range reflect.TypeFor[ExportStats]().Fields() {
			real = append(real, f.Name)
		}
		if diff := cmp.Diff(real, doc); diff != "" {
			t.Errorf("%s:%d: ExportStats fields (-type +page):\n%s", docsPage, b.line, diff)
		}
		return false
	})
}
