package gen_test

import (
	"bytes"
	"flag"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/gen"
	"github.com/dmplan/dmplan/hclspec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldens are the generated files kept in the repository: the Go ones are
// packages that build with the module (and gen/internal/fullmodels runs
// its typed handles against the local backend), so `go build ./...` and
// go vet compile every one of them.
var goldens = []struct {
	name, lang, pkg string
	spec            func(t *testing.T) *hclspec.Spec
	file            string
}{
	{"examples ts", gen.TypeScript, "", loadDir("../examples"), "testdata/golden/examples.gen.ts"},
	{"examples go", gen.Go, "examplemodels", loadDir("../examples"), "internal/examplemodels/models_gen.go"},
	{"full ts", gen.TypeScript, "", loadDir("testdata/full"), "testdata/golden/full.gen.ts"},
	{"full go", gen.Go, "fullmodels", loadDir("testdata/full"), "internal/fullmodels/models_gen.go"},
	{"tricky names ts", gen.TypeScript, "", loadDir("testdata/tricky"), "testdata/golden/tricky.gen.ts"},
	{"tricky names go", gen.Go, "trickymodels", loadDir("testdata/tricky"), "internal/trickymodels/models_gen.go"},
	{"fleet ts", gen.TypeScript, "", loadDir("testdata/fleet"), "testdata/golden/fleet.gen.ts"},
	{"fleet go", gen.Go, "fleetmodels", loadDir("testdata/fleet"), "internal/fleetmodels/models_gen.go"},
	{"d1-only and blob ts", gen.TypeScript, "", loadDir("testdata/adoption"), "testdata/golden/adoption.gen.ts"},
	{"d1-only and blob go", gen.Go, "adoptionmodels", loadDir("testdata/adoption"), "internal/adoptionmodels/models_gen.go"},
}

func loadDir(dir string) func(t *testing.T) *hclspec.Spec {
	return func(t *testing.T) *hclspec.Spec {
		t.Helper()
		s, diags := hclspec.LoadDir(dir)
		if diags.HasErrors() {
			t.Fatalf("load %s: %s", dir, diags.Error())
		}
		return s
	}
}

// TestGolden compares the output for the examples, a model set using every
// field type and option, and D1-only models with blobs and composite keys
// with the files kept in the repository (go test -run TestGolden -update
// rewrites them).
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			out, err := gen.Generate(g.spec(t), gen.Options{Lang: g.lang, Package: g.pkg, Fleet: strings.HasPrefix(g.name, "fleet")})
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.MkdirAll(filepath.Dir(g.file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(g.file, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(g.file)
			if err != nil {
				t.Fatalf("%v (go test -run TestGolden -update writes it)", err)
			}
			if d := cmp.Diff(string(want), string(out)); d != "" {
				t.Errorf("%s differs (-want +got; go test -run TestGolden -update rewrites it):\n%s", g.file, d)
			}
		})
	}
}

// TestDeterministic generates the same bytes however often it runs, and
// the hash in the header changes with the models and the options.
func TestDeterministic(t *testing.T) {
	spec := loadDir("testdata/full")(t)
	first, err := gen.Generate(spec, gen.Options{Lang: gen.TypeScript})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := gen.Generate(loadDir("testdata/full")(t), gen.Options{Lang: gen.TypeScript})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two runs gave different output")
		}
	}
	if !strings.HasPrefix(string(first), "// "+gen.Header+"\n// dmplan-gen-input: sha256:") {
		t.Fatalf("header: %q", strings.SplitN(string(first), "\n", 3)[:2])
	}
	base := gen.InputHash(first)
	if len(base) != 64 {
		t.Fatalf("InputHash = %q, want 64 hex digits", base)
	}
	goA, _ := gen.Generate(spec, gen.Options{Lang: gen.Go, Package: "a"})
	goB, _ := gen.Generate(spec, gen.Options{Lang: gen.Go, Package: "b"})
	spec.Model("ITEM").Field("weight").Required = true
	changed, _ := gen.Generate(spec, gen.Options{Lang: gen.TypeScript})
	hashes := map[string]string{
		"ts": base, "go a": gen.InputHash(goA), "go b": gen.InputHash(goB), "ts changed": gen.InputHash(changed),
	}
	seen := map[string]string{}
	for k, h := range hashes {
		if h == "" {
			t.Errorf("%s: no input hash", k)
		}
		if o, ok := seen[h]; ok {
			t.Errorf("%s and %s have the same input hash", k, o)
		}
		seen[h] = k
	}
	if gen.InputHash([]byte("// hand written\n// dmplan-gen-input: sha256:ab\n")) != "" {
		t.Error("InputHash read a file without the generated header")
	}
}

func TestGenerateErrors(t *testing.T) {
	spec := loadDir("testdata/full")(t)
	for _, tc := range []struct {
		opts gen.Options
		want string
	}{
		{gen.Options{Lang: "rust"}, `unknown language "rust": want ts or go`},
		{gen.Options{Lang: gen.Go, Package: "type"}, `-package "type" is not a Go package name`},
		{gen.Options{Lang: gen.Go, Package: "my-models"}, `-package "my-models" is not a Go package name`},
	} {
		_, err := gen.Generate(spec, tc.opts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: error %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{
		"models": "models", "My-Models": "mymodels", "2026data": "data", "main": "models",
		"go": "models", "": "models", "db_types": "db_types", "ünï": "n",
	} {
		if got := gen.PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoModels: a configuration without models still gives files that
// compile (no unused import in Go; Env with the D1 binding in TypeScript).
func TestNoModels(t *testing.T) {
	spec, diags := hclspec.LoadSources("empty", map[string][]byte{"p.dm.hcl": []byte(`project "empty" {}`)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	src, err := gen.Generate(spec, gen.Options{Lang: gen.Go, Package: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "empty.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&types.Config{Importer: importer.Default()}).Check("empty", fset, []*ast.File{f}, nil); err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	ts, err := gen.Generate(spec, gen.Options{Lang: gen.TypeScript})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ts), "export interface Env {\n\t/** D1 database. */\n\tDB: D1Database;\n}\n") {
		t.Errorf("TypeScript without models:\n%s", ts)
	}
}
