package redact

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// TestOwnKeysNeverMasked logs the module's own keys with values that look
// like key:value secrets: they pass unchanged.
func TestOwnKeysNeverMasked(t *testing.T) {
	rec := &attrsRecorder{}
	h := NewHandler(rec, DefaultOptions())
	in := []slog.Attr{
		slog.String("correlation_id", "tenant:acme:token:abc123"),
		slog.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
		slog.String("span_id", "00f067aa0ba902b7"),
		slog.Bool("_sampled", true),
		slog.Float64("_sample_rate", 0.1),
		slog.String("_sample_reason", "token: abc123xyz"),
		slog.Int("_count", 4111111111111111),
		slog.Time("_first_occurrence", time.Unix(1, 0)),
	}
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r.AddAttrs(in...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, rec.attrs, cmp.Comparer(func(a, b slog.Attr) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("own keys changed (-want +got):\n%s", diff)
	}
	// Inside a group whose name is a secret key, the own keys still pass.
	rec.attrs = nil
	r2 := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	r2.AddAttrs(slog.String("correlation_id", "c-1"), slog.String("user", "bob"))
	if err := h.WithGroup("auth").Handle(context.Background(), r2); err != nil {
		t.Fatal(err)
	}
	want := []slog.Attr{slog.String("correlation_id", "c-1"), slog.String("user", defaultReplacement)}
	if diff := cmp.Diff(want, rec.attrs, cmp.Comparer(func(a, b slog.Attr) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("under a secret group (-want +got):\n%s", diff)
	}
	// Under another key the same value is masked.
	if got, ok := h.Redactor().RedactString("_sample_reason token: abc123xyz"); !ok {
		t.Errorf("want masked outside an own key, got %q", got)
	}
}

// userDataKeys are exported key constants of the module whose values carry
// a caller's data (captured bodies, stack traces): they are redacted like
// any value.
// The stack trace the stack captures holds only function names and file
// paths, but a caller may log a "stacktrace" of its own (an error printed
// with %+v, its message included), so the key's values are scanned too.
var userDataKeys = map[string]bool{"request_body": true, "response_body": true, "stacktrace": true}

// TestOwnKeysCoverModuleKeys reads the module's packages (internal ones
// included) and checks that every string constant named like a key (KeyX,
// keyX, XKey; exported or not) is in ownKeys, except those that carry a
// caller's data.
func TestOwnKeysCoverModuleKeys(t *testing.T) {
	skip := map[string]bool{"redact": true, "benchmarks": true, "examples": true, "testdata": true}
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != ".." && (skip[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for cname, value := range keyConstants(f) {
			found++
			if _, ok := ownKeys[value]; !ok && !userDataKeys[value] {
				t.Errorf("%s: %s.%s = %q is not in ownKeys", path, f.Name.Name, cname, value)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 10 {
		t.Errorf("found only %d key constants: the scan is broken", found)
	}
}

// keyConstants returns the string constants of f whose name starts with
// Key or key followed by an upper-case letter, or ends with Key.
func keyConstants(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !isKeyConstantName(n.Name) || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				if v, err := strconv.Unquote(lit.Value); err == nil {
					out[n.Name] = v
				}
			}
		}
	}
	return out
}

// isKeyConstantName reports whether name is named like a key constant:
// KeyX, keyX or XKey.
func isKeyConstantName(name string) bool {
	after, ok := strings.CutPrefix(strings.ToLower(name[:1])+name[1:], "key")
	return ok && after != "" && unicode.IsUpper(rune(after[0])) || strings.HasSuffix(name, "Key")
}

// idAlphabet is the alphabet of a valid correlation ID.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"

// idWords are secret words and other words that IDs made of key:value
// segments carry.
var idWords = []string{"token", "pin", "sid", "pwd", "auth", "secret", "password", "session", "cc", "otp", "jwt",
	"tenant", "acme", "user", "42", "abc123", "X-Api-Key", "Bearer", "eyJhbGciOi", "AKIA", "4111", "1111-1111"}

// TestRandomIDsNeverAltered checks that no valid correlation ID is altered
// by the value patterns, whether made of random bytes or of key:value
// segments with secret words.
func TestRandomIDsNeverAltered(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	rng := rand.New(rand.NewPCG(1, 2))
	n := 10000
	if testing.Short() {
		n = 2000
	}
	altered := 0
	for i := range n {
		var b strings.Builder
		if i%2 == 0 {
			for range 1 + rng.IntN(128) {
				b.WriteByte(idAlphabet[rng.IntN(len(idAlphabet))])
			}
		} else {
			for j := range 1 + rng.IntN(8) {
				if j > 0 {
					b.WriteByte(":-."[rng.IntN(3)])
				}
				if rng.IntN(2) == 0 {
					b.WriteString(idWords[rng.IntN(len(idWords))])
				} else {
					for range 1 + rng.IntN(12) {
						b.WriteByte(idAlphabet[rng.IntN(62)])
					}
				}
			}
		}
		id := b.String()
		if len(id) > 128 {
			id = id[:128]
		}
		if got, ok := x.RedactString(id); ok {
			altered++
			if altered <= 5 {
				t.Errorf("ID %q altered to %q", id, got)
			}
		}
	}
	if altered > 0 {
		t.Errorf("%d of %d valid IDs altered, want 0", altered, n)
	}
}
