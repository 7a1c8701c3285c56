package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// TestMigrationsDir: where export writes and the wrangler command it
// prints, for wrangler targets whose configuration is named by `config`
// (not in DIR or a parent) or that use a wrangler environment.
func TestMigrationsDir(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("spec/app.dm.hcl", "")
	write("worker/wrangler.toml", `name = "api"
[[d1_databases]]
binding = "DB"
database_name = "api-dev"
database_id = "x"
migrations_dir = "sql"

[[env.staging.d1_databases]]
binding = "DB"
database_name = "api-staging"
database_id = "y"
migrations_dir = "sql-staging"
`)
	write("app/wrangler.jsonc", `{"d1_databases": [{"binding": "DB", "database_name": "app-db", "database_id": "z"}],
  "env": {"staging": {"d1_databases": [{"binding": "DB", "database_name": "app-staging", "database_id": "w"}]}}}`)
	cfg := filepath.Join(root, "worker", "wrangler.toml")
	tests := []struct {
		name    string
		dir     string
		target  hclspec.Target
		wantDir string
		wantCmd string
	}{
		{"config attribute", "spec", hclspec.Target{Backend: hclspec.BackendWrangler, Config: cfg},
			"worker/sql", "wrangler d1 migrations apply api-dev [--local | --remote]"},
		{"config attribute and wrangler env", "spec", hclspec.Target{Backend: hclspec.BackendWrangler, Config: cfg, WranglerEnv: "staging"},
			"worker/sql-staging", "wrangler d1 migrations apply api-staging --env staging [--local | --remote]"},
		{"found config, wrangler env", "app", hclspec.Target{Backend: hclspec.BackendWrangler, WranglerEnv: "staging"},
			"app/migrations", "wrangler d1 migrations apply app-staging --env staging [--local | --remote]"},
		{"found config, local target", "app", hclspec.Target{Backend: hclspec.BackendLocal},
			"app/migrations", "wrangler d1 migrations apply app-db [--local | --remote]"},
		{"no config", "spec", hclspec.Target{Backend: hclspec.BackendLocal},
			"spec/migrations", "wrangler d1 migrations apply <DATABASE> [--local | --remote]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", root) // no wrangler configuration above root's parents matters
			dir, cmd, err := migrationsDir(exportArgs{Dir: filepath.Join(root, tt.dir)}, &tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, tt.wantDir); dir != want {
				t.Errorf("dir = %s, want %s", dir, want)
			}
			if cmd != tt.wantCmd {
				t.Errorf("command = %q, want %q", cmd, tt.wantCmd)
			}
		})
	}
}

// TestPendingMigrations: export refuses while the folder holds migrations
// the database has not applied; on a wrangler target a database without
// wrangler's ledger has applied none (a fresh clone whose local state was
// never migrated), elsewhere the folder may be another database's.
func TestPendingMigrations(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"0001_a.sql", "0002_b.sql", "README.md"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wr := planner.Ledgers[0]
	tests := []struct {
		name     string
		ledgers  []planner.Ledger
		wrangler string // the wrangler target's ledger table, "" for another backend
		want     string // part of the error, "" for none
	}{
		{"applied", []planner.Ledger{{Kind: wr, Count: 2, Latest: "0002_b.sql"}}, "", ""},
		{"one pending", []planner.Ledger{{Kind: wr, Count: 1, Latest: "0001_a.sql"}}, "", "migration 0002_b.sql in m is not applied yet to this database (its d1_migrations lists 1 migration, the latest 0001_a.sql)"},
		{"no ledger, local target", nil, "", ""},
		{"no ledger, wrangler target", nil, "schema_log", "2 migrations in m (0001_a.sql, 0002_b.sql) are not applied yet to this database (its schema_log lists no migrations)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pendingMigrations(dir, "m", tt.ledgers, tt.wrangler)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestMigrationsDirBindingOfWranglerTarget: a wrangler target plans its
// own D1 binding, so -binding naming another database is refused rather
// than writing that plan into the other database's folder.
func TestMigrationsDirBindingOfWranglerTarget(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "wrangler.toml")
	if err := os.WriteFile(cfg, []byte(`[[d1_databases]]
binding = "DB"
database_name = "main"
database_id = "x"
[[d1_databases]]
binding = "AUDIT"
database_name = "audit"
database_id = "y"
migrations_dir = "audit-migrations"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	target := &hclspec.Target{Backend: hclspec.BackendWrangler, Config: cfg, Binding: "DB"}
	if _, _, err := migrationsDir(exportArgs{Dir: dir, Binding: "AUDIT"}, target); err == nil || !strings.Contains(err.Error(), `-binding AUDIT`) {
		t.Errorf("err = %v, want a refusal naming -binding AUDIT", err)
	}
	if d, _, err := migrationsDir(exportArgs{Dir: dir, Binding: "DB"}, target); err != nil || d != filepath.Join(dir, "migrations") {
		t.Errorf("-binding DB: %s, %v", d, err)
	}
	// another backend: -binding picks the folder
	if d, _, err := migrationsDir(exportArgs{Dir: dir, Binding: "AUDIT"}, &hclspec.Target{Backend: hclspec.BackendLocal}); err != nil || d != filepath.Join(dir, "audit-migrations") {
		t.Errorf("local target, -binding AUDIT: %s, %v", d, err)
	}
}
