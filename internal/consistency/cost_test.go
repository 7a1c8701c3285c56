package consistency

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/operator"
)

// TestReconcileAndBackfillRequestsPer1000 counts the API requests that
// reconcile, reconcile -fix and a backfill send for 1,000 records on the
// workerd harness (the request counter of the Cloudflare store). The
// counts are exact: they are what the README states.
func TestReconcileAndBackfillRequestsPer1000(t *testing.T) {
	ctx := context.Background()
	be := openHarness(t)
	store := be.(*cloudflare.Store)
	v1, v2 := loadSpec(t, false), loadSpec(t, true)
	migrate(t, ctx, v1, be, applier.Options{})
	data := make([]map[string]any, 1000)
	for i := range data {
		data[i] = map[string]any{"page_id": fmt.Sprintf("p%04d", i), "title": "t", "rank": i, "body": fmt.Sprint("body ", i)}
	}
	if _, err := open(t, ctx, v1, be).System().CreateMany(ctx, "PAGE", data); err != nil {
		t.Fatal(err)
	}
	ds := open(t, ctx, v1, be)
	count := func(name string, fn func() (int64, error)) int64 {
		t.Helper()
		before := store.Requests()
		start := time.Now()
		n, err := fn()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := time.Since(start)
		t.Logf("%s: %d records, %d requests, %.0f records/s on the harness", name, n, store.Requests()-before, float64(n)/d.Seconds())
		return store.Requests() - before
	}
	reconcile := func(fix bool) func() (int64, error) {
		return func() (int64, error) {
			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Models: []string{"PAGE"}, Fix: fix})
			if err != nil {
				return 0, err
			}
			return rep.Objects(), nil
		}
	}
	got := map[string]int64{}
	// 1 KV list, 10 bulk reads of 100 keys, 1 D1 query reading the rows of
	// the page's range of ids (its rows and any orphan row among them), 1
	// D1 query finding no row after the last id.
	got["reconcile"] = count("reconcile", reconcile(false))
	if _, err := be.D1().Query(ctx, backend.Stmt{SQL: `DELETE FROM page`}); err != nil {
		t.Fatal(err)
	}
	// The same, plus 1 D1 batch of upserts (1000 rows, 12 per statement:
	// 84 statements).
	got["reconcile -fix"] = count("reconcile -fix (every row missing)", reconcile(true))

	// The column is added; the backfill fills it.
	migrate(t, ctx, v2, be, applier.Options{Backfiller: noBackfill{}})
	ds2 := open(t, ctx, v2, be)
	// 1 D1 batch for the progress row, 1 KV list, 10 bulk reads, 1 D1
	// batch writing the column (no read first) with the progress row, 1 D1
	// query marking it finished.
	got["backfill"] = count("backfill", func() (int64, error) {
		res, err := operator.Backfill(ctx, ds2, operator.BackfillOptions{Model: "PAGE", Columns: []string{"body"}, RunID: "cost"})
		if err != nil {
			return 0, err
		}
		return res.Checked, nil
	})
	want := map[string]int64{"reconcile": 13, "reconcile -fix": 14, "backfill": 14}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests per 1,000 records (-want +got):\n%s", diff)
	}
}

// TestReconcileAndBackfillRateLocal logs records per second of reconcile,
// reconcile -fix and a backfill of 20,000 records on the local backend,
// with the backend calls each made (faulty counts them). It asserts the
// call counts, never a time.
func TestReconcileAndBackfillRateLocal(t *testing.T) {
	ctx := context.Background()
	raw := openLocal(t)
	be := faulty.Wrap(raw)
	v1, v2 := loadSpec(t, false), loadSpec(t, true)
	migrate(t, ctx, v1, raw, applier.Options{})
	const n = 20000
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"page_id": fmt.Sprintf("p%05d", i), "title": "t", "rank": i, "body": fmt.Sprint("body ", i)}
	}
	if _, err := open(t, ctx, v1, raw).System().CreateMany(ctx, "PAGE", data); err != nil {
		t.Fatal(err)
	}
	ds := open(t, ctx, v1, be)
	run := func(name string, fn func() (int64, error)) int {
		t.Helper()
		before := be.Total()
		start := time.Now()
		got, err := fn()
		if err != nil || got != n {
			t.Fatalf("%s: %d records, %v", name, got, err)
		}
		calls := be.Total() - before
		t.Logf("%s: %d records, %d backend calls, %.0f records/s locally", name, got, calls, float64(got)/time.Since(start).Seconds())
		return calls
	}
	reconcile := func(fix bool) func() (int64, error) {
		return func() (int64, error) {
			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Models: []string{"PAGE"}, Fix: fix})
			if err != nil {
				return 0, err
			}
			return rep.Objects(), nil
		}
	}
	got := map[string]int{}
	// Per 1,000 keys: 1 list, 1 GetMany (split by the backend), 1 query
	// reading the rows of the page's range of ids; then 1 query finds no
	// row after the last.
	got["reconcile"] = run("reconcile", reconcile(false))
	if _, err := raw.D1().Query(ctx, backend.Stmt{SQL: `UPDATE page SET title = 'x'`}); err != nil {
		t.Fatal(err)
	}
	got["reconcile -fix"] = run("reconcile -fix (every row stale)", reconcile(true))
	migrate(t, ctx, v2, raw, applier.Options{Backfiller: noBackfill{}})
	ds2 := open(t, ctx, v2, be)
	got["backfill"] = run("backfill", func() (int64, error) {
		res, err := operator.Backfill(ctx, ds2, operator.BackfillOptions{Model: "PAGE", Columns: []string{"body"}, RunID: "rate"})
		if err != nil {
			return 0, err
		}
		return res.Checked, nil
	})
	want := map[string]int{"reconcile": 20*3 + 1, "reconcile -fix": 20*4 + 1, "backfill": 1 + 20*3 + 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backend calls for %d records (-want +got):\n%s", n, diff)
	}
}
