package gen_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// harnessModules holds the pinned npm packages: typescript and
// @cloudflare/workers-types are among the harness's dev dependencies,
// installed by `make test`.
const harnessModules = "../backend/cloudflare/harness/node_modules"

// TestTypeScriptCompiles type-checks every TypeScript golden with the real
// tsc (strict, exactOptionalPropertyTypes) against the real Workers types,
// together with a Worker that uses it (testdata/tsuse): the generated file
// compiles, and the `// @ts-expect-error` lines there (a wrong field type,
// a value outside an enum, a column D1 does not have, a boolean read from
// D1, a missing required field, a binding that does not exist) fail to.
func TestTypeScriptCompiles(t *testing.T) {
	tsc, err := filepath.Abs(filepath.Join(harnessModules, "typescript", "bin", "tsc"))
	if err != nil {
		t.Fatal(err)
	}
	types, _ := filepath.Abs(filepath.Join(harnessModules, "@cloudflare", "workers-types", "index.d.ts"))
	for _, p := range []string{tsc, types} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v: the harness npm packages are not installed; run `make test` or `npm ci --prefix backend/cloudflare/harness`", err)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run tsc: %v", err)
	}
	dir := t.TempDir()
	files := []string{types}
	for _, name := range []string{"examples", "full", "adoption", "tricky", "fleet"} {
		sub := filepath.Join(dir, name)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, filepath.Join("testdata", "golden", name+".gen.ts"), filepath.Join(sub, "dmplan.gen.ts"))
		copyFile(t, filepath.Join("testdata", "tsuse", name+".ts"), filepath.Join(sub, "use.ts"))
		files = append(files, filepath.Join(sub, "dmplan.gen.ts"), filepath.Join(sub, "use.ts"))
	}
	cfg := map[string]any{
		"compilerOptions": map[string]any{
			"strict": true, "outDir": filepath.Join(dir, "out"), "rootDir": dir, "exactOptionalPropertyTypes": true, "noImplicitAny": true,
			"target": "es2022", "module": "es2022", "moduleResolution": "bundler", "lib": []string{"es2022"},
			"types": []string{}, "skipLibCheck": true,
		},
		"files": files,
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, tsc, "-p", dir, "--pretty", "false").CombinedOutput()
	if err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}

	// The key helpers, run by node, give the keys the runtime uses, also
	// for a pattern that needs escaping in a template literal.
	// In a fleet the key helper takes the tenant database, and gives the
	// key of the tenant's spec (hclspec.Spec.Tenant).
	for _, k := range []struct{ dir, model, fn, database string }{
		{"examples", "PAGE", "pageKey", ""}, {"tricky", "PAGE", "pageKey", ""}, {"tricky", "PAGE_KEY", "pageKeyKey", ""},
		{"fleet", "DOC", "docKey", "tenant-a"},
	} {
		spec := loadDir(map[string]string{"examples": "../examples", "tricky": "testdata/tricky", "fleet": "testdata/fleet"}[k.dir])(t)
		args := `"id-1"`
		if k.database != "" {
			spec = spec.Tenant(k.database)
			args = jsString(k.database) + ", " + args
		}
		js := filepath.Join(dir, "out", k.dir, "dmplan.gen.js")
		script := "import(" + jsString("file://"+filepath.ToSlash(js)) + ").then(m => process.stdout.write(m." + k.fn + "(" + args + ")))"
		got, err := exec.Command(node, "-e", script).CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", k.fn, err, got)
		}
		if want := spec.Model(k.model).KV.Key("id-1"); string(got) != want {
			t.Errorf("%s %s(\"id-1\") = %q, want %q", k.dir, k.fn, got, want)
		}
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
