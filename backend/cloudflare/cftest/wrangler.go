package cftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NodeModules returns the harness's node_modules, which holds the wrangler
// pinned in its package.json. A missing install or a missing node fails the
// test: `make test` installs both, so a skip would only hide a broken setup.
func NodeModules(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(Dir(), "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p, "wrangler", "package.json")); err != nil {
		t.Fatalf("%v (wrangler: %v)", ErrNotInstalled, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("cftest: node is not on PATH: %v", err)
	}
	return p
}

// WranglerProject writes a wrangler project's files (paths relative to
// its root) into a temp dir and links its node_modules to the harness's,
// as a user's project has wrangler in its own node_modules.
func WranglerProject(t testing.TB, files map[string]string) string {
	t.Helper()
	mods := NodeModules(t)
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}
