package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// TestReconcileCountsAgree repairs more drift than a report lists
// (operator.MaxDriftListed) with -fix -prune-orphans, once printed for
// people and once as JSON, on two identical targets: both say the same
// counts, and they are the true ones.
func TestReconcileCountsAgree(t *testing.T) {
	const orphans = operator.MaxDriftListed + 5
	setup := func() string {
		dir, ids := reconcileFixture(t, 3)
		withStore(t, dir, func(be backend.Backend, _ *runtime.Datastore) {
			ctx := context.Background()
			sts := []backend.Stmt{
				{SQL: `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
  INSERT INTO "note" (note_id, title, user_id) SELECT 'orphan-' || x, 'gone', 'u1' FROM c`, Args: []any{int64(orphans)}},
				{SQL: `UPDATE "note" SET title = 'stale' WHERE note_id IN (?, ?)`, Args: []any{ids[0], ids[1]}},
			}
			if _, err := be.D1().Batch(ctx, sts); err != nil {
				t.Fatal(err)
			}
		})
		return dir
	}

	code, human, errOut := dmplanRun(t, "reconcile", "-fix", "-prune-orphans", setup())
	if code != exitOK {
		t.Fatalf("reconcile: exit %d\n%s\n%s", code, human, errOut)
	}
	want := "Fixed: 2 D1 rows rewritten from KV. " + view.Thousands(orphans) + " orphan rows deleted."
	if !strings.Contains(human, want) || strings.Contains(human, "left in place") {
		t.Errorf("human report lacks %q:\n%s", want, human)
	}

	code, out, errOut := dmplanRun(t, "reconcile", "-json", "-fix", "-prune-orphans", setup())
	if code != exitOK {
		t.Fatalf("reconcile -json: exit %d\n%s\n%s", code, out, errOut)
	}
	var doc struct {
		Totals    operator.ReconcileTotals `json:"totals"`
		Reconcile struct {
			Models []operator.ModelReconcile `json:"models"`
		} `json:"reconcile"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	tot := doc.Totals
	if tot.Rewritten != 2 || tot.Pruned != orphans || tot.Orphans != orphans || tot.Stale != 2 || tot.Unrepaired != 0 {
		t.Errorf("JSON totals = %+v, want 2 rewritten, %d pruned of %d orphans, 2 stale, none unrepaired", tot, orphans, orphans)
	}
	var rewritten, pruned int64
	for _, m := range doc.Reconcile.Models {
		rewritten += m.Rewritten
		pruned += m.Pruned
	}
	if rewritten != tot.Rewritten || pruned != tot.Pruned {
		t.Errorf("models add up to %d rewritten, %d pruned; totals say %d, %d", rewritten, pruned, tot.Rewritten, tot.Pruned)
	}
}
