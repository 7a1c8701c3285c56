package consistency

import (
	"context"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
)

// TestReconcileFixConflict: on both backends, a KV object whose row D1
// refuses (it repeats a unique value) is reported with the constraint, in
// the same words, and every other row is still repaired.
func TestReconcileFixConflict(t *testing.T) {
	const src = `project "cons" {}

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
	spec, diags := hclspec.LoadSources("cons", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			be := k.open(t)
			migrate(t, ctx, spec, be, applier.Options{})
			ds := open(t, ctx, spec, be)
			ids := map[string]string{}
			for _, n := range []string{"ann", "bob", "cy", "dee", "eve"} {
				r, err := ds.System().Create(ctx, "AUTHOR", map[string]any{"email": n + "@example.com", "name": n})
				if err != nil {
					t.Fatal(err)
				}
				ids[n] = r.ID()
			}
			nss, err := be.KV().Namespaces(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ns string
			for _, n := range nss {
				if strings.HasSuffix(n.Title, "-AUTHOR") {
					ns = n.ID
				}
			}
			// A copy of ann's object under another id repeats her email;
			// the other rows are gone or edited in D1.
			ann, err := be.KV().Get(ctx, ns, "author:"+ids["ann"])
			if err != nil {
				t.Fatal(err)
			}
			copied := strings.Replace(string(ann.Value), ids["ann"], "copy-1", 1)
			if err := be.KV().Put(ctx, ns, backend.Entry{Key: "author:copy-1", Value: []byte(copied)}); err != nil {
				t.Fatal(err)
			}
			if _, err := be.D1().Batch(ctx, []backend.Stmt{
				{SQL: `DELETE FROM author WHERE author_id IN (?, ?)`, Args: []any{ids["bob"], ids["dee"]}},
				{SQL: `UPDATE author SET name = 'edited' WHERE author_id IN (?, ?)`, Args: []any{ids["cy"], ids["eve"]}},
			}); err != nil {
				t.Fatal(err)
			}

			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true})
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			m := rep.Models[0]
			if m.Missing != 3 || m.Stale != 2 || m.Fixed != 4 || rep.Unrepaired() != 1 {
				t.Errorf("missing %d stale %d fixed %d unrepaired %d, want 3, 2, 4, 1", m.Missing, m.Stale, m.Fixed, rep.Unrepaired())
			}
			for _, d := range m.Drift {
				if d.ID == "copy-1" {
					// Named: which record holds the value, the index, and
					// D1's own refusal.
					want := "record " + ids["ann"] + " holds the same email in D1 (unique index author_by_email)"
					refusal := "; not rewritten, D1 refuses the row: UNIQUE constraint failed: author.email"
					if d.Fixed || !strings.HasPrefix(d.Problem, want) || !strings.HasSuffix(d.Problem, refusal) {
						t.Errorf("the conflicting object: fixed %v, problem %q, want %q ... %q", d.Fixed, d.Problem, want, refusal)
					}
				} else if !d.Fixed || d.Problem != "" {
					t.Errorf("%s: %+v, want fixed", d.ID, d)
				}
			}
			res, err := be.D1().Query(ctx, backend.Stmt{SQL: `SELECT COUNT(*) FROM author WHERE name != 'edited'`})
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.Rows[0][0].(int64); n != 5 {
				t.Errorf("%v rows right in D1, want 5", res.Rows[0][0])
			}
		})
	}
}
