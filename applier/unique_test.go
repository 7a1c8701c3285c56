package applier

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// countingD1 counts the requests sent to D1.
type countingD1 struct {
	backend.D1
	queries, batches int
}

func (c *countingD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	c.queries++
	return c.D1.Query(ctx, st)
}

func (c *countingD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	c.batches++
	return c.D1.Batch(ctx, sts)
}

func TestUniqueViolations(t *testing.T) {
	s := openStore(t)
	exec(t, s, `CREATE TABLE item (id TEXT PRIMARY KEY, sku TEXT, color TEXT, size TEXT)`)
	exec(t, s, `INSERT INTO item VALUES ('1', 'a', 'red', NULL), ('2', 'a', 'red', NULL), ('3', 'b', NULL, 's'), ('4', 'b', NULL, 's'), ('5', 'c', 'blue', 'm')`)
	exec(t, s, `CREATE TABLE "odd ""name""" ("a b" TEXT)`)
	exec(t, s, `INSERT INTO "odd ""name""" VALUES ('x'), ('y')`)
	exec(t, s, `CREATE TABLE single (id TEXT)`)
	exec(t, s, `INSERT INTO single VALUES ('only')`)

	probes := []planner.UniqueIndexProbe{
		{Index: "item_by_sku", Table: "item", Columns: []string{"sku"}},
		{Index: "item_by_sku_color", Table: "item", Columns: []string{"sku", "color"}},   // rows 1, 2 conflict; 3, 4 have a NULL color
		{Index: "item_by_color_size", Table: "item", Columns: []string{"color", "size"}}, // every pair has a NULL
		{Index: "item_by_id", Table: "item", Columns: []string{"id"}},                    // distinct
		{Index: "odd_by_ab", Table: `odd "name"`, Columns: []string{"a b"}},              // quoting
		{Index: "odd_by_new", Table: `odd "name"`, Columns: []string{}},                  // two rows, same default
		{Index: "single_by_new", Table: "single", Columns: []string{}},                   // one row
	}
	d1 := &countingD1{D1: s.D1()}
	got, err := UniqueViolations(context.Background(), d1, probes)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"item_by_sku": true, "item_by_sku_color": true, "odd_by_new": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if d1.queries != 1 || d1.batches != 0 {
		t.Errorf("requests = %d queries, %d batches; want one query", d1.queries, d1.batches)
	}

	d1 = &countingD1{D1: s.D1()}
	got, err = UniqueViolations(context.Background(), d1, nil)
	if err != nil || len(got) != 0 || d1.queries+d1.batches != 0 {
		t.Errorf("no probes: %v, %v, %d requests; want none", got, err, d1.queries+d1.batches)
	}

	// The probe runs against a real index build: what it calls a violation
	// is exactly what CREATE UNIQUE INDEX refuses.
	for _, p := range probes[:5] {
		cols := ""
		for i, c := range p.Columns {
			if i > 0 {
				cols += ", "
			}
			cols += backend.QuoteIdent(c)
		}
		_, err := s.D1().Query(context.Background(), backend.Stmt{SQL: "CREATE UNIQUE INDEX " + backend.QuoteIdent(p.Index) + " ON " + backend.QuoteIdent(p.Table) + " (" + cols + ")"})
		if (err != nil) != want[p.Index] {
			t.Errorf("CREATE UNIQUE INDEX %s: err = %v, probe said duplicates = %v", p.Index, err, want[p.Index])
		}
	}
}
