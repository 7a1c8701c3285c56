package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// TestReconcileFixSurvivesAConflict: a KV object whose row D1 refuses (it
// repeats a unique value) is reported with the reason and left as it is;
// every other row of the page is still repaired.
func TestReconcileFixSurvivesAConflict(t *testing.T) {
	const src = `project "rc" {}

model "AUTHOR" {
  options { user_tracking = false }
  field "email" { type = string }
  field "name" { type = string }
  d1 {
    sync_fields = ["email", "name"]
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}
`
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	spec, diags := hclspec.LoadSources("rc", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	applySpec(t, ctx, store, spec, nil)
	ds, err := runtime.Open(ctx, spec, store)
	if err != nil {
		t.Fatal(err)
	}
	sys := ds.System()
	ids := map[string]string{}
	for _, n := range []string{"ann", "bob", "cy"} {
		r, err := sys.Create(ctx, "AUTHOR", map[string]any{"email": n + "@example.com", "name": n})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = r.ID()
	}
	nss, err := store.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ns string
	for _, n := range nss {
		if strings.HasSuffix(n.Title, "-AUTHOR") {
			ns = n.ID
		}
	}
	// A copy of ann's object under another id: its row would repeat her
	// email. bob's row is gone, cy's is edited in D1.
	ann, err := store.KV().Get(ctx, ns, "author:"+ids["ann"])
	if err != nil {
		t.Fatal(err)
	}
	copied := strings.Replace(string(ann.Value), ids["ann"], "copy-1", 1)
	if err := store.KV().Put(ctx, ns, backend.Entry{Key: "author:copy-1", Value: []byte(copied)}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []backend.Stmt{
		{SQL: `DELETE FROM author WHERE author_id = ?`, Args: []any{ids["bob"]}},
		{SQL: `UPDATE author SET name = 'edited' WHERE author_id = ?`, Args: []any{ids["cy"]}},
	} {
		if _, err := store.D1().Query(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := ds.Reconcile(ctx, runtime.ReconcileOptions{Fix: true})
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	m := rep.Models[0]
	if m.Missing != 2 || m.Stale != 1 || m.Fixed != 2 || rep.Unrepaired() != 1 {
		t.Errorf("counts: missing %d stale %d fixed %d unrepaired %d, want 2, 1, 2, 1", m.Missing, m.Stale, m.Fixed, rep.Unrepaired())
	}
	for _, d := range m.Drift {
		switch d.ID {
		case "copy-1":
			if d.Fixed || d.Problem != "not rewritten, D1 refuses the row: UNIQUE constraint failed: author.email" {
				t.Errorf("the conflicting object: %+v", d)
			}
		case ids["bob"], ids["cy"]:
			if !d.Fixed || d.Problem != "" {
				t.Errorf("%s: %+v, want fixed", d.ID, d)
			}
		}
	}
	res, err := store.D1().Query(ctx, backend.Stmt{SQL: `SELECT COUNT(*) FROM author WHERE name != 'edited'`})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0]; n != int64(3) {
		t.Errorf("%v rows repaired in D1, want 3 (ann, bob, cy)", n)
	}
}
