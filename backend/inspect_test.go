package backend_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/state"
)

// countingD1 counts the requests Inspect makes.
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

func TestInspect(t *testing.T) {
	ctx := context.Background()
	s, err := local.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.D1().Batch(ctx, []backend.Stmt{
		{SQL: `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY, project_id text NOT NULL, status TEXT DEFAULT 'pending', score real, n integer NOT NULL DEFAULT 0, email TEXT UNIQUE)`},
		{SQL: `CREATE INDEX by_project_status ON page_meta (project_id, status)`},
		{SQL: `CREATE UNIQUE INDEX "odd ""name""" ON page_meta (status DESC)`},
		{SQL: `CREATE INDEX by_expr ON page_meta (lower(status))`},
		{SQL: `CREATE TABLE "my table" (id INTEGER PRIMARY KEY AUTOINCREMENT, v)`},
		{SQL: `INSERT INTO "my table" (v) VALUES (1)`},
		{SQL: `CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB)`},
		{SQL: `CREATE INDEX cf_idx ON _cf_KV (value)`},
		{SQL: `CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY, name TEXT)`},
		{SQL: `CREATE TABLE _dmplan_history (id TEXT PRIMARY KEY)`},
		{SQL: `CREATE VIEW v AS SELECT 1`},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.KV().CreateNamespace(ctx, "PAGES"); err != nil {
		t.Fatal(err)
	}
	d1 := &countingD1{D1: s.D1()}
	got, err := backend.Inspect(ctx, d1, s.KV())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if d1.requests != 2 {
		t.Errorf("Inspect made %d D1 requests, want 2", d1.requests)
	}
	nss, _ := s.KV().Namespaces(ctx)
	want := &state.Schema{
		Tables: []*state.Table{
			{
				Name: "my table", Rows: -1, HasRows: true, RowsAtMost: 1,
				Columns: []*state.Column{
					{Name: "id", Type: "INTEGER", PK: true, Autoincrement: true},
					{Name: "v", Type: ""},
				},
				Indexes: []*state.Index{},
			},
			{
				Name: "page_meta", Rows: -1,
				Columns: []*state.Column{
					{Name: "page_id", Type: "TEXT", PK: true},
					{Name: "project_id", Type: "TEXT", NotNull: true},
					{Name: "status", Type: "TEXT", Default: "'pending'"},
					{Name: "score", Type: "REAL"},
					{Name: "n", Type: "INTEGER", NotNull: true, Default: "0"},
					{Name: "email", Type: "TEXT", Unique: true},
				},
				Indexes: []*state.Index{
					{Name: "by_expr", Columns: []string{"<expr>"}, Keys: []state.IndexKey{{Expr: "lower(status)"}}},
					{Name: "by_project_status", Columns: []string{"project_id", "status"}},
					{Name: `odd "name"`, Columns: []string{"status"}, Unique: true, Keys: []state.IndexKey{{Desc: true}}},
				},
			},
		},
		Namespaces: []*state.Namespace{{Title: "PAGES", ID: nss[0].ID}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Inspect (-want +got):\n%s", diff)
	}
}

func TestInspectEmpty(t *testing.T) {
	ctx := context.Background()
	s, err := local.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d1 := &countingD1{D1: s.D1()}
	got, err := backend.Inspect(ctx, d1, nil)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if diff := cmp.Diff(&state.Schema{Tables: []*state.Table{}, Namespaces: []*state.Namespace{}}, got); diff != "" {
		t.Errorf("Inspect (-want +got):\n%s", diff)
	}
	if d1.requests != 1 {
		t.Errorf("Inspect of an empty database made %d requests, want 1", d1.requests)
	}
}

func TestIsInternalTable(t *testing.T) {
	for name, want := range map[string]bool{
		"sqlite_sequence": true, "_cf_KV": true, "_CF_METADATA": true, "d1_migrations": true,
		"_dmplan_history": true, "_dmplan_lock": true, "page_meta": false, "migrations": false, "cf_x": false,
	} {
		if got := backend.IsInternalTable(name); got != want {
			t.Errorf("IsInternalTable(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"page_meta": `"page_meta"`, `a"b`: `"a""b"`, "": `""`, "my table": `"my table"`,
	} {
		if got := backend.QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
