package redact

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestOwnKeysNeverMasked logs the module's own keys with values that look
// like key:value secrets: they pass unchanged.
func TestOwnKeysNeverMasked(t *testing.T) {
	rec := &attrsRecorder{}
	h := NewHandler(rec, Options{})
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
	want := []slog.Attr{slog.String("correlation_id", "c-1"), slog.String("user", DefaultReplacement)}
	if diff := cmp.Diff(want, rec.attrs, cmp.Comparer(func(a, b slog.Attr) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("under a secret group (-want +got):\n%s", diff)
	}
	// Under another key the same value is masked.
	if got, ok := h.Redactor().RedactString("_sample_reason token: abc123xyz"); !ok {
		t.Errorf("want masked outside an own key, got %q", got)
	}
}

// userDataKeys are exported key constants of the module whose values carry
// a caller's data (captured bodies): they are redacted like any value.
var userDataKeys = map[string]bool{"request_body": true, "response_body": true}

// TestOwnKeysCoverModuleKeys reads the module's packages and checks that
// every exported string constant named like a key (KeyX, XKey) is in
// ownKeys, except those that carry a caller's data.
func TestOwnKeysCoverModuleKeys(t *testing.T) {
	dirs, err := filepath.Glob("../*")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() || strings.HasSuffix(dir, "/redact") ||
			strings.HasSuffix(dir, "/benchmarks") || strings.HasSuffix(dir, "/examples") {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for cname, value := range keyConstants(f) {
				found++
				if _, ok := ownKeys[value]; !ok && !userDataKeys[value] {
					t.Errorf("%s: %s.%s = %q is not in ownKeys", name, f.Name.Name, cname, value)
				}
			}
		}
	}
	if found < 10 {
		t.Errorf("found only %d key constants: the scan is broken", found)
	}
}

// keyConstants returns the exported string constants of f whose name starts
// or ends with Key.
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
				if !n.IsExported() || !(strings.HasPrefix(n.Name, "Key") || strings.HasSuffix(n.Name, "Key")) || i >= len(vs.Values) {
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
	x := NewRedactor(Options{})
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
