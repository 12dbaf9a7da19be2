package slogstack_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The documentation's code blocks are part of the API: a reader copies them.
// Every fenced block of README.md and docs/*.md whose info string is exactly
// "go" is made into a Go file by codeBlock.goFile:
//
//   - a block whose first line starts with "package" is a file of its own
//     package, as written, except that "package main" becomes a library
//     package (the compiler checks it the same; nothing is linked, which
//     keeps the build short);
//   - any other block is wrapped into a file of package "example": a block of
//     declarations (funcs, types, vars) as the file's body, a block of
//     statements as the body of a function whose parameters are the names a
//     fragment may take as given (statementParams: ctx, w, r, mux, next, sink,
//     logger, stack, cfg); a name the block declares itself shadows them;
//   - a line that holds only "..." stands for code left out and is compiled
//     as a comment;
//   - imports are added for the unresolved package names the block uses, from
//     docImports (a name that is not in the table stays undefined, so the
//     build fails and names the block);
//   - a //line directive makes every compiler error point at the Markdown
//     file and line.
//
// TestDocsGoBlocksParse checks that every block takes one of these forms. To
// build them, each block gets its own package (a directory) in a temporary
// directory inside the module whose name starts with "_", so "./..." never
// sees it, removed after, and one "go build" builds them all.
//
// A block tagged "```go external" needs modules the library does not
// require (zap, zerolog: the "before" code of docs/migrating.md); it is
// skipped here, and the benchmarks module, which requires them, builds it
// with the same convention (benchmarks/docs_test.go).

// docImports maps the package names the documentation uses to their import
// paths.
var docImports = map[string]string{
	"aggregation": "github.com/slogstack/slogstack/aggregation",
	"async":       "github.com/slogstack/slogstack/async",
	"handler":     "github.com/slogstack/slogstack/handler",
	"httpctx":     "github.com/slogstack/slogstack/httpctx",
	"redact":      "github.com/slogstack/slogstack/redact",
	"sampling":    "github.com/slogstack/slogstack/sampling",
	"scope":       "github.com/slogstack/slogstack/scope",
	"slogstack":   "github.com/slogstack/slogstack",
	"slogmulti":   "github.com/samber/slog-multi",
	"bytes":       "bytes",
	"context":     "context",
	"errors":      "errors",
	"expvar":      "expvar",
	"fmt":         "fmt",
	"http":        "net/http",
	"httptest":    "net/http/httptest",
	"io":          "io",
	"json":        "encoding/json",
	"log":         "log",
	"os":          "os",
	"propagation": "go.opentelemetry.io/otel/propagation",
	"regexp":      "regexp",
	"slices":      "slices",
	"signal":      "os/signal",
	"slog":        "log/slog",
	"strconv":     "strconv",
	"strings":     "strings",
	"sync":        "sync",
	"syscall":     "syscall",
	"time":        "time",
}

// docPages lists README.md and every page of docs/.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md"}, pages...)
}

// codeBlock is one fenced block of a Markdown page.
type codeBlock struct {
	page string   // the Markdown file
	line int      // the line of the block's first code line
	info []string // the words after the opening fence
	code string
}

// readCodeBlocks returns the fenced blocks of a Markdown file, in order.
func readCodeBlocks(t *testing.T, page string) []codeBlock {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []codeBlock
	var open *codeBlock
	var code strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case open == nil && strings.HasPrefix(trimmed, "```"):
			open = &codeBlock{page: page, line: n + 1, info: strings.Fields(strings.TrimPrefix(trimmed, "```"))}
			code.Reset()
		case open != nil && trimmed == "```":
			open.code = code.String()
			blocks = append(blocks, *open)
			open = nil
		case open != nil:
			code.WriteString(line)
			code.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if open != nil {
		t.Fatalf("%s:%d: code block never closed", page, open.line-1)
	}
	return blocks
}

// isGo reports whether the block is Go built by the main module: the info
// string is exactly "go".
func (b codeBlock) isGo() bool { return slices.Equal(b.info, []string{"go"}) }

// goFile returns the block as a complete Go file, or an error saying why it
// is neither a file, nor declarations, nor statements.
func (b codeBlock) goFile() ([]byte, error) {
	directive := fmt.Sprintf("//line %s:%d\n", b.page, b.line)
	if rest, ok := strings.CutPrefix(b.code, "package main\n"); ok {
		return []byte(directive + "package example // main: checked, not linked\n" + rest), nil
	}
	if strings.HasPrefix(b.code, "package ") {
		return []byte(directive + b.code), nil
	}
	code := elided.ReplaceAllString(b.code, "$1// ...")
	decls := "package example\n\n" + directive + code
	stmts := "package example\n\nfunc _(" + statementParams + ") {\n\t{\n" + directive + code + "\t}\n}\n"
	for _, src := range []string{decls, stmts} {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
		if err != nil {
			continue
		}
		return withImports(src, f), nil
	}
	_, err := parser.ParseFile(token.NewFileSet(), "", decls, 0)
	return nil, fmt.Errorf("%s:%d: neither a file, nor declarations, nor statements: %v", b.page, b.line, err)
}

// elided matches a line that holds only "...": code the reader does not
// need to see.
var elided = regexp.MustCompile(`(?m)^([ \t]*)\.\.\.[ \t]*$`)

// statementParams are the names a block of statements may use without
// declaring them: what the code around such a fragment would have.
const statementParams = "ctx context.Context, w http.ResponseWriter, r *http.Request, mux *http.ServeMux, next slog.Handler, " +
	"sink slog.Handler, logger *slog.Logger, stack *slogstack.Stack, cfg slogstack.Config"

// withImports inserts after the package clause of src an import of every
// package of docImports that f uses without declaring it.
func withImports(src string, f *ast.File) []byte {
	var paths []string
	for _, id := range f.Unresolved {
		if p, ok := docImports[id.Name]; ok && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var imports strings.Builder
	for _, p := range paths {
		imports.WriteString("import " + strconv.Quote(p) + "\n")
	}
	head, body, _ := strings.Cut(src, "\n\n")
	return []byte(head + "\n\n" + imports.String() + "\n" + body)
}

// TestDocsGoBlocksParse checks that every "go" block of the documentation
// is a file, declarations or statements, and counts what there is to build.
func TestDocsGoBlocksParse(t *testing.T) {
	blocks := 0
	for _, page := range docPages(t) {
		for _, b := range readCodeBlocks(t, page) {
			if !b.isGo() {
				continue
			}
			blocks++
			if _, err := b.goFile(); err != nil {
				t.Error(err)
			}
		}
	}
	if blocks == 0 {
		t.Fatal("no go code block found in README.md and docs/")
	}
}

// TestDocsGoBlockWrapping holds the wrapping rules on small blocks: each is
// gofmt-parsable after wrapping and imports exactly what it uses.
func TestDocsGoBlockWrapping(t *testing.T) {
	tests := []struct {
		name, code  string
		wantPackage string
		wantImports []string
		wantErr     bool
	}{
		{"statements", "logger := slog.New(handler.NewJSONHandler(os.Stdout, nil))\nlogger.Info(\"hi\")\n", "example",
			[]string{"context", "github.com/slogstack/slogstack", "github.com/slogstack/slogstack/handler", "log/slog", "net/http", "os"}, false},
		{"declarations", "func handle(w http.ResponseWriter, r *http.Request) {\n\tscope.Logger(r.Context()).Info(\"x\")\n}\n", "example",
			[]string{"github.com/slogstack/slogstack/scope", "net/http"}, false},
		{"local shadows package", "log := scope.Logger(ctx)\nlog.Info(\"x\")\n", "example",
			[]string{"context", "github.com/slogstack/slogstack", "github.com/slogstack/slogstack/scope", "log/slog", "net/http"}, false},
		{"file", "package lib\n\nimport \"os\"\n\nfunc Exit() { os.Exit(1) }\n", "lib", []string{"os"}, false},
		{"program", "package main\n\nfunc main() {}\n", "example", nil, false},
		{"elided code", "func run() {\n\tslog.Info(\"start\")\n\t...\n}\n", "example", []string{"log/slog"}, false},
		{"broken", "func x() {\n", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := codeBlock{page: "p.md", line: 3, info: []string{"go"}, code: tt.code}.goFile()
			if (err != nil) != tt.wantErr {
				t.Fatalf("goFile() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if _, err := format.Source(src); err != nil {
				t.Fatalf("wrapped block does not parse: %v\n%s", err, src)
			}
			f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name.Name != tt.wantPackage {
				t.Errorf("package %s, want %s", f.Name.Name, tt.wantPackage)
			}
			var got []string
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				got = append(got, p)
			}
			if diff := cmp.Diff(tt.wantImports, got); diff != "" {
				t.Errorf("imports (-want +got):\n%s\n%s", diff, src)
			}
		})
	}
}

// privateName matches what the documentation must not mention: the module's
// internal packages (by path or by name) and the internal contract document.
// "billing.internal/" (a host name in an example) is not a package path.
var privateName = regexp.MustCompile(`(^|[^.\w])internal/|\bSPEC\b|§|\b(reqscope|ringbuf|scopectx|snapshot\.|leakcheck|logtest|benchcpu)\b|\bpipeline\[`)

func TestDocsMentionOnlyPublicAPI(t *testing.T) {
	for _, page := range docPages(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if privateName.MatchString(line) {
				t.Errorf("%s:%d names what users do not have: %s", page, i+1, line)
			}
		}
	}
}

// TestGoDocMentionsOnlyPublicAPI reads `go doc -all` of every public package
// as a user sees it.
func TestGoDocMentionsOnlyPublicAPI(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: go doc cannot be read")
	}
	for _, pkg := range []string{".", "./aggregation", "./async", "./handler", "./httpctx", "./redact", "./sampling", "./scope"} {
		out, err := exec.Command(gobin, "doc", "-all", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go doc -all %s: %v\n%s", pkg, err, out)
		}
		for i, line := range strings.Split(string(out), "\n") {
			if privateName.MatchString(line) {
				t.Errorf("go doc -all %s, line %d names what users do not have: %s", pkg, i+1, line)
			}
		}
	}
}
