package backendtest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/state"
)

// countingD1 counts the requests made through it.
type countingD1 struct {
	backend.D1
	requests int
}

func (c *countingD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	c.requests++
	return c.D1.Query(ctx, st)
}

func (c *countingD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	c.requests++
	return c.D1.Batch(ctx, sts)
}

func runInspect(t *testing.T, b backend.Backend) {
	t.Run("Schema", func(t *testing.T) {
		ctx := context.Background()
		pages, people := unique("page_meta"), unique("people")
		q := backend.QuoteIdent
		_, err := b.D1().Batch(ctx, []backend.Stmt{
			{SQL: `CREATE TABLE ` + q(pages) + ` (page_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, status TEXT DEFAULT 'pending', score REAL, n INTEGER NOT NULL DEFAULT 0, slug TEXT UNIQUE)`},
			{SQL: `CREATE INDEX ` + q(pages+"_by_project") + ` ON ` + q(pages) + ` (project_id, status)`},
			{SQL: `CREATE UNIQUE INDEX ` + q(pages+"_by_score") + ` ON ` + q(pages) + ` (score)`},
			{SQL: `CREATE TABLE ` + q(people) + ` (id INTEGER PRIMARY KEY, email text)`},
			{SQL: `INSERT INTO ` + q(people) + ` (email) VALUES (?)`, Args: []any{"a@example.com"}},
			{SQL: `CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TEXT)`},
			{SQL: `CREATE TABLE IF NOT EXISTS _dmplan_test (k TEXT PRIMARY KEY)`},
		})
		if err != nil {
			t.Fatalf("create tables: %v", err)
		}
		// D1 reserves _cf_* (creating one is not authorized) and holds its
		// own _cf_KV; a plain SQLite store gets one made here.
		if _, err := b.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE IF NOT EXISTS _cf_dmplan_test (k TEXT PRIMARY KEY)`}); err != nil {
			cf := query(t, b.D1(), `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE '\_cf\_%' ESCAPE '\'`)
			if len(cf.Rows) != 1 || cf.Rows[0][0] == int64(0) {
				t.Fatalf("create a _cf_ table: %v, and the database has none of its own", err)
			}
		}
		nsTitle := unique("INSPECT")
		ns, err := b.KV().CreateNamespace(ctx, nsTitle)
		if err != nil {
			t.Fatalf("CreateNamespace: %v", err)
		}
		d1 := &countingD1{D1: b.D1()}
		got, err := backend.Inspect(ctx, d1, b.KV())
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		if d1.requests > 2 {
			t.Errorf("Inspect made %d D1 requests, want at most 2", d1.requests)
		}
		want := map[string]*state.Table{
			pages: {
				Name: pages, Rows: -1,
				Columns: []*state.Column{
					{Name: "page_id", Type: "TEXT", PK: true},
					{Name: "project_id", Type: "TEXT", NotNull: true},
					{Name: "status", Type: "TEXT", Default: "'pending'"},
					{Name: "score", Type: "REAL"},
					{Name: "n", Type: "INTEGER", NotNull: true, Default: "0"},
					{Name: "slug", Type: "TEXT", Unique: true}, // the column UNIQUE constraint, read from the CREATE TABLE text
				},
				Indexes: []*state.Index{
					{Name: pages + "_by_project", Columns: []string{"project_id", "status"}},
					{Name: pages + "_by_score", Columns: []string{"score"}, Unique: true},
				},
			},
			people: {
				Name: people, Rows: -1, HasRows: true, RowsAtMost: 1,
				Columns: []*state.Column{{Name: "id", Type: "INTEGER", PK: true}, {Name: "email", Type: "TEXT"}},
				Indexes: []*state.Index{},
			},
		}
		seen := map[string]*state.Table{}
		for i, table := range got.Tables {
			if backend.IsInternalTable(table.Name) {
				t.Errorf("Inspect lists the internal table %q", table.Name)
			}
			if i > 0 && got.Tables[i-1].Name >= table.Name {
				t.Errorf("tables not sorted: %q before %q", got.Tables[i-1].Name, table.Name)
			}
			if want[table.Name] != nil {
				seen[table.Name] = table
			}
		}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("inspected tables (-want +got):\n%s", diff)
		}
		found := false
		for _, n := range got.Namespaces {
			if n.Title == nsTitle {
				found = n.ID == ns.ID
			}
		}
		if !found {
			t.Errorf("Inspect namespaces = %v, want %q with id %q", got.Namespaces, nsTitle, ns.ID)
		}
	})
	// Indexes rebuilt by hand carry their WHERE clause, collations, order
	// and expressions, read in the same two requests.
	t.Run("IndexDefinitions", func(t *testing.T) {
		ctx := context.Background()
		tbl := unique("accounts")
		q := backend.QuoteIdent
		on := ` ON ` + q(tbl) + ` `
		_, err := b.D1().Batch(ctx, []backend.Stmt{
			{SQL: `CREATE TABLE ` + q(tbl) + ` (id TEXT PRIMARY KEY, Email TEXT, status TEXT, deleted_at TEXT, n INTEGER)`},
			{SQL: `CREATE INDEX ` + q(tbl+"_partial") + on + `(status) WHERE deleted_at IS NULL`},
			{SQL: `CREATE UNIQUE INDEX ` + q(tbl+"_nocase") + on + `(email COLLATE NOCASE)`},
			{SQL: `CREATE INDEX ` + q(tbl+"_desc") + on + `(status, n DESC)`},
			{SQL: `CREATE INDEX ` + q(tbl+"_expr") + on + `(lower(email), "status")`},
			{SQL: `CREATE INDEX ` + q(tbl+"_plain") + on + `("STATUS" ASC, email COLLATE binary)`},
			{SQL: `CREATE INDEX ` + q(tbl+"_legacy") + on + `('n')`},
		})
		if err != nil {
			t.Fatalf("create table and indexes: %v", err)
		}
		d1 := &countingD1{D1: b.D1()}
		got, err := backend.Inspect(ctx, d1, nil)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		if d1.requests > 2 {
			t.Errorf("Inspect made %d D1 requests, want at most 2", d1.requests)
		}
		table := got.Table(tbl)
		if table == nil {
			t.Fatalf("Inspect did not list %s", tbl)
		}
		want := []*state.Index{
			{Name: tbl + "_desc", Columns: []string{"status", "n"}, Keys: []state.IndexKey{{}, {Desc: true}}},
			{Name: tbl + "_expr", Columns: []string{"<expr>", "status"}, Keys: []state.IndexKey{{Expr: "lower(email)"}, {}}},
			{Name: tbl + "_legacy", Columns: []string{"n"}},
			{Name: tbl + "_nocase", Columns: []string{"Email"}, Unique: true, Keys: []state.IndexKey{{Collate: "NOCASE"}}},
			{Name: tbl + "_partial", Columns: []string{"status"}, Where: "deleted_at IS NULL"},
			{Name: tbl + "_plain", Columns: []string{"status", "Email"}},
		}
		if diff := cmp.Diff(want, table.Indexes); diff != "" {
			t.Errorf("inspected indexes (-want +got):\n%s", diff)
		}
	})
}
