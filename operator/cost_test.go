package operator_test

import (
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// TestReportsCarryCost checks that apply (with its backfill step),
// backfill and reconcile report the D1 rows they read and wrote, on the
// local backend (rows returned and changed; see backend.Cost).
func TestReportsCarryCost(t *testing.T) {
	ctx, store, v2 := backfillFixture(t, 300)
	ds, err := runtime.Open(ctx, v2, store)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := applier.Apply(ctx, store, planFor(t, ctx, v2, store), applier.Options{Backfiller: operator.Backfiller(ds)})
	if err != nil {
		t.Fatal(err)
	}
	bf := rep.Steps[1].Cost
	if bf == nil {
		t.Fatalf("backfill step has no cost: %+v", rep.Steps[1])
	}
	// 300 rows written, plus the progress rows (locally, rows changed).
	if bf.RowsWritten < 300 {
		t.Errorf("backfill of 300 records cost %+v, want at least 300 rows written", *bf)
	}
	if rep.Cost.RowsWritten <= bf.RowsWritten || rep.Cost.RowsRead < bf.RowsRead {
		t.Errorf("apply cost %+v does not include its backfill's %+v and the rest (lock, history)", rep.Cost, *bf)
	}
	for i, s := range rep.Steps {
		if i != 1 && s.Cost != nil {
			t.Errorf("step %d (%s) has a cost; only backfill and seed steps do", i, s.Action)
		}
	}

	rc, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sum backend.Cost
	for _, m := range rc.Models {
		sum.Add(m.Cost)
	}
	if rc.Cost.RowsRead < 300 || rc.Cost.RowsWritten != 0 || sum != rc.Cost {
		t.Errorf("reconcile of 300 records in sync cost %+v (models %+v), want at least 300 rows read, none written", rc.Cost, sum)
	}

	again, err := operator.Backfill(ctx, ds, operator.BackfillOptions{Model: "DOC", Columns: []string{"title"}})
	if err != nil {
		t.Fatal(err)
	}
	// Every row already holds its title: none rewritten.
	if again.Written != 0 || again.Cost.RowsWritten != 0 {
		t.Errorf("backfill of filled rows: %d written, cost %+v; want none written", again.Written, again.Cost)
	}
}
