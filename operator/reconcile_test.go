package operator_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
)

// driftOf returns the drift of a model in the report, sorted by id, with
// Fixed cleared so runs with and without Fix compare.
func driftOf(t testing.TB, rep *operator.ReconcileReport, model string) []operator.Drift {
	t.Helper()
	for _, m := range rep.Models {
		if m.Model == model {
			out := append([]operator.Drift(nil), m.Drift...)
			sort.Slice(out, func(i, j int) bool { return out[i].ID+out[i].Kind < out[j].ID+out[j].Kind })
			return out
		}
	}
	t.Fatalf("model %s not in report", model)
	return nil
}

// exec runs SQL on the D1 side directly, as drift would.
func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.store.D1().Query(e.ctx, backend.Stmt{SQL: sql, Args: args}); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// putRaw writes a raw KV value, as another tool (or a bug) would.
func (e *env) putRaw(t testing.TB, ns, key, value string) {
	t.Helper()
	if err := e.store.KV().Put(e.ctx, e.nsID(t, ns), backend.Entry{Key: key, Value: []byte(value)}); err != nil {
		t.Fatal(err)
	}
}

// kvSnapshot returns every raw KV value of a namespace by key.
func kvSnapshot(t testing.TB, ctx context.Context, kv backend.KV, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		p, err := kv.List(ctx, ns, "", cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]string, len(p.Keys))
		for i, k := range p.Keys {
			keys[i] = k.Name
		}
		vals, err := kv.GetMany(ctx, ns, keys)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range vals {
			out[k] = string(v)
		}
		if p.Cursor == "" {
			return out
		}
		cursor = p.Cursor
	}
}

func TestReconcileFindsEveryKindOfDrift(t *testing.T) {
	e := setup(t)
	sys := e.ds.System()
	ids := map[string]string{}
	for _, name := range []string{"clean", "missing", "stale", "wrongtype"} {
		r, err := e.ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p-"+name))
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = r.ID()
	}
	e.exec(t, `DELETE FROM page_meta WHERE page_id = ?`, ids["missing"])
	e.exec(t, `UPDATE page_meta SET title = 'edited in D1' WHERE page_id = ?`, ids["stale"])
	e.exec(t, `UPDATE page_meta SET status = 42 WHERE page_id = ?`, ids["wrongtype"])
	e.exec(t, `INSERT INTO page_meta (page_id, project_id, url, status) VALUES ('orphan-1', 'p', 'https://x.example', 'pending')`)
	bad := map[string]string{
		"page:notjson":  `{"page_id": "notjson", "url": `,
		"page:array":    `[1, 2, 3]`,
		"page:norequrl": `{"page_id": "norequrl", "project_id": "p", "user_id": "u1"}`,
		"page:wrongid":  `{"page_id": "someoneelse", "project_id": "p", "url": "https://x.example"}`,
		"page:badtype":  `{"project_id": 7, "url": "https://x.example", "user_id": "u1"}`,
	}
	for k, v := range bad {
		e.putRaw(t, "PAGES", k, v)
	}
	before := kvSnapshot(t, e.ctx, e.store.KV(), e.nsID(t, "PAGES"))

	want := []operator.Drift{
		{Kind: operator.DriftBadObject, ID: "array", Key: "page:array", Problem: "value is not a JSON object"},
		// The runtime reads these and keeps their values through updates
		// (a number in a string field, a missing required field), so they
		// are not bad objects: their rows are missing, and projected as
		// stored.
		{Kind: operator.DriftMissingRow, ID: "badtype", Key: "page:badtype"},
		{Kind: operator.DriftMissingRow, ID: ids["missing"], Key: "page:" + ids["missing"]},
		{Kind: operator.DriftMissingRow, ID: "norequrl", Key: "page:norequrl"},
		{Kind: operator.DriftBadObject, ID: "notjson", Key: "page:notjson", Problem: "value is not a JSON object"},
		{Kind: operator.DriftOrphanRow, ID: "orphan-1", Key: "page:orphan-1"},
		{Kind: operator.DriftStaleRow, ID: ids["stale"], Key: "page:" + ids["stale"], Columns: []string{"title"}},
		{Kind: operator.DriftBadObject, ID: "wrongid", Key: "page:wrongid", Problem: `page_id does not match the id "wrongid" in its key`},
		{Kind: operator.DriftStaleRow, ID: ids["wrongtype"], Key: "page:" + ids["wrongtype"], Columns: []string{"status"}},
	}
	sort.Slice(want, func(i, j int) bool { return want[i].ID+want[i].Kind < want[j].ID+want[j].Kind })

	rep, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"PAGE"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, driftOf(t, rep, "PAGE"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	if !rep.Drifted() {
		t.Error("Drifted() = false")
	}
	m := rep.Models[0]
	if m.Objects != 9 || m.Rows != 4 || m.Missing != 3 || m.Stale != 2 || m.Orphans != 1 || m.Bad != 3 || m.Fixed != 0 {
		t.Errorf("counts = %+v", *m)
	}

	fixed, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"PAGE"}, Fix: true})
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Models[0].Fixed != 5 {
		t.Errorf("fixed %d rows, want 5", fixed.Models[0].Fixed)
	}
	if got := e.d1Row(t, "page_meta", "page_id", "badtype")["project_id"]; got != "7" {
		t.Errorf("badtype's project_id in D1 = %#v, want the JSON text of the stored 7", got)
	}
	after, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"PAGE"}})
	if err != nil {
		t.Fatal(err)
	}
	var left []operator.Drift
	for _, d := range want {
		if d.Kind == operator.DriftBadObject || d.Kind == operator.DriftOrphanRow {
			left = append(left, d)
		}
	}
	if diff := cmp.Diff(left, driftOf(t, after, "PAGE"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("drift after fix (-want +got):\n%s", diff)
	}
	if got := e.d1Row(t, "page_meta", "page_id", ids["stale"])["title"]; got != "T" {
		t.Errorf("stale title after fix = %v", got)
	}
	if got := e.d1Row(t, "page_meta", "page_id", "orphan-1"); got == nil {
		t.Error("fix deleted the orphan row")
	}
	if diff := cmp.Diff(before, kvSnapshot(t, e.ctx, e.store.KV(), e.nsID(t, "PAGES"))); diff != "" {
		t.Errorf("KV changed by reconcile (-before +after):\n%s", diff)
	}
	if _, err := sys.Get(e.ctx, "PAGE", "notjson"); err == nil {
		t.Error("Get of a non-JSON value succeeded")
	}
}

func TestReconcileCleanStoreAndPaging(t *testing.T) {
	e := setup(t)
	data := make([]map[string]any, 250)
	for i := range data {
		data[i] = newPage(fmt.Sprintf("p%d", i%7))
	}
	if _, err := e.ds.Auth("u1").CreateMany(e.ctx, "PAGE", data); err != nil {
		t.Fatal(err)
	}
	var calls []operator.Progress
	rep, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{PageSize: 100, Progress: func(p operator.Progress) { calls = append(calls, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drifted() || rep.Unrepaired() != 0 {
		t.Errorf("clean store reported drift: %+v", rep.Models)
	}
	var pageCalls []int64
	for _, p := range calls {
		if p.Model == "PAGE" {
			pageCalls = append(pageCalls, p.Done)
			if p.Total != 250 {
				t.Errorf("progress total = %d, want 250", p.Total)
			}
		}
	}
	if diff := cmp.Diff([]int64{100, 200, 250}, pageCalls); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	if _, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"NOPE"}}); err == nil {
		t.Error("unknown model accepted")
	}
}

func TestReconcileLeavesKVBytesAlone(t *testing.T) {
	e := setup(t)
	r, err := e.ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p"))
	if err != nil {
		t.Fatal(err)
	}
	key := "page:" + r.ID()
	raw := e.kvValue(t, "PAGES", key)
	e.exec(t, `DELETE FROM page_meta`)
	if _, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Fix: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.kvValue(t, "PAGES", key); !bytes.Equal(got, raw) {
		t.Errorf("KV object changed:\n%s\n%s", raw, got)
	}
	if e.d1Row(t, "page_meta", "page_id", r.ID()) == nil {
		t.Error("missing row not rebuilt")
	}
}

// TestReconcileManyIDs: reading the rows of more candidates, and deleting
// more orphan rows, than one statement binds (backend.MaxParams) covers
// every id: each stale row is found and each orphan row is deleted and
// marked fixed.
func TestReconcileManyIDs(t *testing.T) {
	e := setup(t)
	n := 2*backend.MaxParams + 5
	for i := range n {
		if _, err := e.ds.Auth("u1").Create(e.ctx, "PAGE", newPage(fmt.Sprintf("p-%d", i))); err != nil {
			t.Fatal(err)
		}
		e.exec(t, `INSERT INTO page_meta (page_id, project_id, url, status) VALUES (?, 'p', 'https://x.example', 'pending')`, fmt.Sprintf("orphan-%04d", i))
	}
	e.exec(t, `UPDATE page_meta SET title = 'edited in D1' WHERE page_id NOT LIKE 'orphan-%'`)
	rep, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"PAGE"}, PruneOrphans: true})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Models[0]
	if m.Stale != int64(n) || m.Orphans != int64(n) || m.Fixed != int64(n) {
		t.Errorf("counts = %+v, want %d stale, %d orphans, %d fixed", *m, n, n, n)
	}
	for _, d := range m.Drift {
		if d.Kind == operator.DriftOrphanRow && !d.Fixed {
			t.Errorf("orphan %s not marked fixed", d.ID)
		}
	}
	res, err := e.store.D1().Query(e.ctx, backend.Stmt{SQL: `SELECT count(*) FROM page_meta WHERE page_id LIKE 'orphan-%'`})
	if err != nil || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0]) != "0" {
		t.Errorf("orphan rows left: %v %v", res, err)
	}
}
