//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

// TestImportWranglerDev adopts what a team using `wrangler d1 migrations`
// has: the corpus' wrangler history (seven migrations with ALTER TABLE and
// a table rebuild) applied by the real wrangler to its local state, then
// imported through the wrangler backend. The models plan as "No changes"
// against that state, with wrangler's ledger noted, and importing again
// writes nothing.
func TestImportWranglerDev(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler and workerd (about half a minute); skipped with -short")
	}
	t.Parallel()
	files := map[string]string{
		"package.json":   `{"private": true, "type": "module"}`,
		"wrangler.jsonc": wranglerProjectConfig,
		"worker.js":      wranglerProjectWorker,
		"env.dm.hcl":     "project \"notes-app\" {}\n\nenvironment \"dev\" {\n  backend = \"wrangler\"\n}\n",
	}
	// The corpus' history without the rows it records in d1_migrations
	// itself: wrangler records what it applies.
	ledgerRow := regexp.MustCompile(`(?m)^INSERT INTO d1_migrations .*\n`)
	src, err := filepath.Glob(filepath.Join("..", "..", "internal", "corpus", "testdata", "wrangler_todo", "000[1-9]_*.sql"))
	if err != nil || len(src) < 5 {
		t.Fatalf("corpus migrations: %v, %d files", err, len(src))
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files["migrations/"+filepath.Base(f)] = ledgerRow.ReplaceAllString(string(b), "")
	}
	dir := cftest.WranglerProject(t, files)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	applied := wrangler(t, ctx, dir, "d1", "migrations", "apply", "notes-app", "--local")
	if !strings.Contains(applied, "0007_todo_position.sql") {
		t.Fatalf("wrangler did not apply the history:\n%s", applied)
	}

	code, out, errOut := wranglerDmplan(ctx, dir, "import", "-env", "dev", dir)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"lists.dm.hcl", "tags.dm.hcl", "todo_tags.dm.hcl", "todos.dm.hcl", "users.dm.hcl",
		"d1_migrations  wrangler's migration ledger", "Recorded the import in the history"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "project.dm.hcl")); !os.IsNotExist(err) {
		t.Errorf("import wrote project.dm.hcl beside a configuration that declares the project (%v)", err)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "plan", "-detailed-exitcode", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "No changes.") || !strings.Contains(out, "DM220 d1_migrations") {
		t.Errorf("plan after import: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "import", "-env", "dev", dir)
	if code != 0 || strings.Contains(out, "Wrote") || !strings.Contains(out, "todos: model TODOS of the configuration already declares it") {
		t.Errorf("second import: exit %d\n%s\n%s", code, out, errOut)
	}
}
