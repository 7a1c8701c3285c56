package gateway_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// A tenant holding thousands of keys (more than a list page, and exactly
// one page, in two namespaces), tables with rows, an index, a view and a
// trigger is wiped clean, so the next test that takes it starts empty.
// Before the launcher deleted keys inside workerd, a page of 1,000 keys was
// deleted through miniflare's binding proxy with 1,000 connections to
// workerd at once, which under load failed with "fetch failed" (connection
// resets) and left the tenant full for the next test.
func TestWipeLargeTenant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	counts := []int{1200, 1000}
	for j, n := range counts {
		es := make([]backend.Entry, n)
		for i := range es {
			k := fmt.Sprintf("w:%d:%05d", j, i)
			es[i] = backend.Entry{Key: k, Value: []byte(k)}
		}
		if err := f.s.KV().PutMany(ctx, nsID(f, j), es); err != nil {
			t.Fatalf("fill namespace %d: %v", j, err)
		}
	}
	stmts := []backend.Stmt{
		{SQL: `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT)`},
		{SQL: `CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), v TEXT)`},
		{SQL: `CREATE INDEX child_by_parent ON child (parent_id)`},
		{SQL: `CREATE VIEW names AS SELECT name FROM parent`},
		{SQL: `CREATE TRIGGER child_v AFTER INSERT ON child BEGIN UPDATE parent SET name = NEW.v WHERE id = NEW.parent_id; END`},
		{SQL: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO parent SELECT i, 'p' || i FROM n`},
		{SQL: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO child SELECT i, i, 'c' || i FROM n`},
	}
	if _, err := f.s.D1().Batch(ctx, stmts); err != nil {
		t.Fatalf("fill D1: %v", err)
	}

	start := time.Now()
	if err := f.g.Wipe(f.tenant.Index); err != nil {
		t.Fatal(err)
	}
	t.Logf("wipe took %v", time.Since(start))

	for j := range counts {
		page, err := f.s.KV().List(ctx, nsID(f, j), "", "", 0)
		if err != nil {
			t.Fatalf("list namespace %d: %v", j, err)
		}
		if len(page.Keys) != 0 {
			t.Errorf("namespace %d: %d keys left after the wipe (first %q)", j, len(page.Keys), page.Keys[0].Name)
		}
	}
	res, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 0 {
		t.Errorf("D1 objects left after the wipe: %v", res.Rows)
	}
}
