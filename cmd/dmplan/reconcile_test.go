package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

const reconcileHCL = `project "rc" {}

model "NOTE" {
  field "title" {
    type     = string
    required = true
  }
  field "body" { type = text }
  d1 {
    sync_fields = ["title"]
  }
}
`

// dmplanRun runs one invocation and returns its exit code and output.
func dmplanRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

// reconcileFixture applies the NOTE model in a temp dir and writes n notes
// through the runtime.
func reconcileFixture(t *testing.T, n int) (dir string, ids []string) {
	t.Helper()
	dir = appliedDir(t, "notes.dm.hcl", reconcileHCL)
	ctx := context.Background()
	withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
		for range n {
			r, err := ds.System().Create(ctx, "NOTE", map[string]any{"title": "hello", "body": "b", "user_id": "u1"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID())
		}
	})
	return dir, ids
}

// appliedDir writes the model file name with src in a temp dir and
// applies it.
func appliedDir(t *testing.T, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s\n%s", code, out, errOut)
	}
	return dir
}

// copyKV writes the object at from, edited, to the key to in the KV
// namespace titled title.
func copyKV(t *testing.T, be backend.Backend, title, from, to string, edit func(string) string) {
	t.Helper()
	ctx := context.Background()
	nss, err := be.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss {
		if ns.Title != title {
			continue
		}
		e, err := be.KV().Get(ctx, ns.ID, from)
		if err != nil {
			t.Fatal(err)
		}
		if err := be.KV().Put(ctx, ns.ID, backend.Entry{Key: to, Value: []byte(edit(string(e.Value)))}); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no KV namespace %s", title)
}

func withStore(t *testing.T, dir string, fn func(backend.Backend, *runtime.Datastore)) {
	t.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	be, err := local.Open(ctx, filepath.Join(dir, hclspec.DefaultLocalPath))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	ds, err := runtime.Open(ctx, spec, be)
	if err != nil {
		t.Fatal(err)
	}
	fn(be, ds)
}

func TestReconcileCommand(t *testing.T) {
	dir, ids := reconcileFixture(t, 3)
	ctx := context.Background()

	if code, out, errOut := dmplanRun(t, "reconcile", dir); code != exitOK || !strings.Contains(out, "No drift: every one of 3 KV objects matches its D1 row.") {
		t.Fatalf("clean: exit %d\n%s\n%s", code, out, errOut)
	}
	withStore(t, dir, func(be backend.Backend, _ *runtime.Datastore) {
		for _, st := range []backend.Stmt{
			{SQL: `DELETE FROM note WHERE note_id = ?`, Args: []any{ids[0]}},
			{SQL: `UPDATE note SET title = 'changed' WHERE note_id = ?`, Args: []any{ids[1]}},
			{SQL: `INSERT INTO note (note_id, title, user_id) VALUES ('ghost', 'boo', 'u1')`},
		} {
			if _, err := be.D1().Query(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
	})

	code, out, errOut := dmplanRun(t, "reconcile", dir)
	if code != exitChanges {
		t.Fatalf("drift: exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"NOTE (D1 table note, KV namespace rc-local-NOTE)",
		"3 KV objects, 3 D1 rows: 1 missing row, 1 stale row, 1 orphan row",
		"missing_row  " + ids[0] + "  no D1 row for KV key note:" + ids[0],
		"stale_row    " + ids[1] + "  differs in title",
		"orphan_row   ghost",
		"Drift: 3 records disagree between KV and D1 (3 KV objects checked).",
		"Left to do:",
		"rewrite the missing and stale D1 rows from KV:\n      dmplan reconcile -fix " + dir,
		"delete the D1 rows that have no KV object (a hard delete whose D1 step failed):\n      dmplan reconcile -prune-orphans " + dir,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = dmplanRun(t, "reconcile", "-json", "-model", "NOTE", dir)
	var doc struct {
		FormatVersion string `json:"format_version"`
		Drifted       bool   `json:"drifted"`
		Reconcile     struct {
			Models []struct {
				Model   string           `json:"model"`
				Missing int              `json:"missing_rows"`
				Stale   int              `json:"stale_rows"`
				Orphans int              `json:"orphan_rows"`
				Drift   []operator.Drift `json:"drift"`
			} `json:"models"`
		} `json:"reconcile"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if code != exitChanges || !doc.Drifted || len(doc.Reconcile.Models) != 1 || doc.Reconcile.Models[0].Missing != 1 ||
		doc.Reconcile.Models[0].Stale != 1 || doc.Reconcile.Models[0].Orphans != 1 {
		t.Errorf("json: exit %d %+v", code, doc)
	}

	// Exit 2 means something is left to do: the orphan row after -fix.
	code, out, errOut = dmplanRun(t, "reconcile", "-fix", dir)
	if code != exitChanges || !strings.Contains(out, "Fixed: 2 D1 rows rewritten from KV. 1 orphan row left in place") ||
		!strings.Contains(out, "dmplan reconcile -prune-orphans "+dir) {
		t.Fatalf("fix: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = dmplanRun(t, "reconcile", dir)
	if code != exitChanges || !strings.Contains(out, "1 orphan row") || strings.Contains(out, "missing_row") || strings.Contains(out, "-fix") {
		t.Errorf("after fix: exit %d\n%s", code, out)
	}
	// The deliberate removal; then there is nothing left to do.
	code, out, _ = dmplanRun(t, "reconcile", "-prune-orphans", dir)
	if code != exitOK || !strings.Contains(out, "orphan_row  ghost  no KV object note:ghost: row deleted") || !strings.Contains(out, "1 orphan row deleted.") {
		t.Errorf("prune: exit %d\n%s", code, out)
	}
	if code, out, _ = dmplanRun(t, "reconcile", dir); code != exitOK || !strings.Contains(out, "No drift") {
		t.Errorf("after prune: exit %d\n%s", code, out)
	}

	withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
		nss, _ := be.KV().Namespaces(ctx)
		for _, ns := range nss {
			if ns.Title == "rc-local-NOTE" {
				if err := be.KV().Put(ctx, ns.ID, backend.Entry{Key: "note:broken", Value: []byte("{not json")}); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	code, out, _ = dmplanRun(t, "reconcile", "-fix", dir)
	if code != exitChanges || !strings.Contains(out, "bad_object  broken  KV key note:broken: value is not a JSON object") || !strings.Contains(out, "1 bad KV object not repaired") {
		t.Errorf("bad object after fix: exit %d\n%s", code, out)
	}

	for _, args := range [][]string{{"reconcile", "-model", "NOPE", dir}, {"reconcile", "-env", "nowhere", dir}} {
		if code, _, errOut := dmplanRun(t, args...); code != exitError || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestReconcileTakeD1: a KV object D1 refuses (it repeats another
// record's unique email, as a save killed while its refused write was
// being taken back leaves it) is named with the command that takes D1's
// side; running that command converges.
func TestReconcileTakeD1(t *testing.T) {
	const hcl = `project "rc" {}

model "ACCT" {
  options { user_tracking = false }
  field "email" { type = string }
  field "note" { type = text }
  d1 {
    sync_fields = ["email"]
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}
`
	dir := appliedDir(t, "acct.dm.hcl", hcl)
	ctx := context.Background()
	withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
		for _, id := range []string{"ann", "bob"} {
			if _, err := ds.System().Create(ctx, "ACCT", map[string]any{"acct_id": id, "email": id + "@example.com", "note": "mine"}); err != nil {
				t.Fatal(err)
			}
		}
		copyKV(t, be, "rc-local-ACCT", "acct:bob", "acct:bob", func(v string) string {
			return strings.Replace(v, "bob@example.com", "ann@example.com", 1)
		})
	})
	code, out, errOut := dmplanRun(t, "reconcile", "-fix", dir)
	take := "dmplan reconcile -model ACCT -take-d1 bob " + dir
	if code != exitChanges || !strings.Contains(out, "ACCT bob: KV and D1 hold different writes and D1 refuses KV's (not rewritten, D1 refuses the row: UNIQUE constraint failed: acct.email)") ||
		!strings.Contains(out, "\n      "+take+"\n") {
		t.Fatalf("fix: exit %d\n%s\n%s", code, out, errOut)
	}
	args := strings.Fields(take)[1:]
	if code, out, errOut = dmplanRun(t, args...); code != exitOK || !strings.Contains(out, "ACCT bob: KV object rewritten from its D1 row") {
		t.Fatalf("take-d1: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ = dmplanRun(t, "reconcile", dir); code != exitOK || !strings.Contains(out, "No drift") {
		t.Errorf("after take-d1: exit %d\n%s", code, out)
	}
	withStore(t, dir, func(_ backend.Backend, ds *runtime.Datastore) {
		r, err := ds.System().Get(ctx, "ACCT", "bob")
		if err != nil || r.Get("email") != "bob@example.com" || r.Get("note") != "mine" {
			t.Errorf("bob after take-d1: %v %v", r.Data(), err)
		}
	})
	for _, bad := range [][]string{{"reconcile", "-take-d1", "bob", dir}, {"reconcile", "-model", "ACCT", "-fix", "-take-d1", "bob", dir}} {
		if code, _, errOut := dmplanRun(t, bad...); code != exitError || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

// TestReconcileTakeD1MissingRow: when D1 has no row for a KV object it
// refuses (a create killed while its refused write was being taken back,
// or the row an INSERT OR REPLACE of another record deleted), taking D1's
// side removes the record; the command is offered as exactly that, never
// as keeping "the last write D1 accepted".
func TestReconcileTakeD1MissingRow(t *testing.T) {
	const hcl = `project "rc" {}

model "ACCT" {
  options {
    user_tracking = false
    soft_delete   = false
  }
  field "email" { type = string }
  d1 {
    sync_fields = ["email"]
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}
`
	dir := appliedDir(t, "acct.dm.hcl", hcl)
	ctx := context.Background()
	withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
		if _, err := ds.System().Create(ctx, "ACCT", map[string]any{"acct_id": "ann", "email": "ann@example.com"}); err != nil {
			t.Fatal(err)
		}
		copyKV(t, be, "rc-local-ACCT", "acct:ann", "acct:cat", func(v string) string {
			return strings.Replace(v, `"acct_id":"ann"`, `"acct_id":"cat"`, 1)
		})
	})
	code, out, errOut := dmplanRun(t, "reconcile", "-fix", dir)
	take := "dmplan reconcile -model ACCT -take-d1 cat " + dir
	if code != exitChanges || !strings.Contains(out, "\n      "+take+"\n") {
		t.Fatalf("fix: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "last write D1 accepted") || !strings.Contains(out, "ACCT cat: D1 has no row for this record and refuses KV's") ||
		!strings.Contains(out, "or delete the record (its KV object) with") {
		t.Errorf("fix: the command must say it deletes the record:\n%s", out)
	}
	args := strings.Fields(take)[1:]
	if code, out, errOut = dmplanRun(t, args...); code != exitOK || !strings.Contains(out, "ACCT cat: KV object removed (D1 has no row)") {
		t.Fatalf("take-d1: exit %d\n%s\n%s", code, out, errOut)
	}
	// An id neither store holds (a typo) is not "already agrees": it is
	// named as no record, and the exit code says so.
	code, out, errOut = dmplanRun(t, "reconcile", "-model", "ACCT", "-take-d1", "ann,nobody", dir)
	if code != exitError || !strings.Contains(out, "ACCT ann: unchanged (KV already agrees with D1)") ||
		!strings.Contains(out, "ACCT nobody: no such record (neither KV nor D1 holds it); nothing done") || !strings.Contains(errOut, "nobody") {
		t.Errorf("take-d1 of an unknown id: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestReconcileOtherCreate: a KV object holding another create of an id
// than the acknowledged D1 row (a losing create killed between its KV
// write and its refused INSERT) is not fixed by -fix: reconcile names it
// with both commands and exits 2 until one runs. A model without
// timestamps has no created_at to tell the creates apart: there -fix
// takes KV's object, the documented limit.
func TestReconcileOtherCreate(t *testing.T) {
	const hcl = `project "rc" {}

model "ACCT" {
  options { user_tracking = false }
  field "email" { type = string }
  d1 { sync_fields = ["email"] }
}

model "BARE" {
  options {
    user_tracking = false
    timestamps    = false
  }
  field "email" { type = string }
  d1 { sync_fields = ["email"] }
}
`
	dir := appliedDir(t, "acct.dm.hcl", hcl)
	ctx := context.Background()
	loser := func() {
		withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
			for _, model := range []string{"ACCT", "BARE"} {
				if _, err := ds.System().Create(ctx, model, map[string]any{strings.ToLower(model) + "_id": "x", "email": "a@example.com"}); err != nil {
					t.Fatal(err)
				}
			}
			nss, _ := be.KV().Namespaces(ctx)
			for _, ns := range nss {
				prefix := map[string]string{"rc-local-ACCT": "acct", "rc-local-BARE": "bare"}[ns.Title]
				if prefix == "" {
					continue
				}
				e, err := be.KV().Get(ctx, ns.ID, prefix+":x")
				if err != nil {
					t.Fatal(err)
				}
				var obj map[string]any
				if err := json.Unmarshal(e.Value, &obj); err != nil {
					t.Fatal(err)
				}
				obj["email"] = "b@example.com"
				if c, ok := obj["created_at"].(string); ok {
					later := strings.Replace(c, "20", "21", 1) // a century later: another create
					obj["created_at"], obj["updated_at"] = later, later
				}
				b, _ := json.Marshal(obj)
				if err := be.KV().Put(ctx, ns.ID, backend.Entry{Key: prefix + ":x", Value: b}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	emails := func() (kv, d1 string) {
		withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
			r, err := ds.System().Get(ctx, "ACCT", "x")
			if err != nil {
				t.Fatal(err)
			}
			kv = r.Get("email").(string)
			res, err := be.D1().Query(ctx, backend.Stmt{SQL: `SELECT email FROM acct WHERE acct_id = 'x'`})
			if err != nil || len(res.Rows) != 1 {
				t.Fatalf("d1 row: %v %v", res, err)
			}
			d1 = res.Rows[0][0].(string)
		})
		return kv, d1
	}
	loser()
	takeD1 := "dmplan reconcile -model ACCT -take-d1 x " + dir
	takeKV := "dmplan reconcile -model ACCT -take-kv x " + dir
	code, out, errOut := dmplanRun(t, "reconcile", "-fix", dir)
	if code != exitChanges || !strings.Contains(out, "stale_row  x  differs in email, created_at, updated_at: created_at differs") ||
		!strings.Contains(out, "ACCT x: KV and D1 hold two different creates of this id") ||
		!strings.Contains(out, "\n      "+takeD1+"\n") || !strings.Contains(out, "\n      "+takeKV+"\n") {
		t.Fatalf("fix: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, d1 := emails(); d1 != "a@example.com" {
		t.Fatalf("-fix overwrote the acknowledged row with the loser's object: %s", d1)
	}
	// The limit: BARE has no created_at, so its row was taken from KV.
	if !strings.Contains(out, "Fixed: 1 D1 row rewritten from KV.") {
		t.Errorf("BARE's stale row should be fixed:\n%s", out)
	}
	if code, out, _ = dmplanRun(t, "reconcile", "-json", dir); code != exitChanges || !strings.Contains(out, `"other_create": true`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	if code, out, errOut = dmplanRun(t, strings.Fields(takeD1)[1:]...); code != exitOK || !strings.Contains(out, "ACCT x: KV object rewritten from its D1 row") {
		t.Fatalf("take-d1: exit %d\n%s\n%s", code, out, errOut)
	}
	if kv, d1 := emails(); kv != "a@example.com" || d1 != "a@example.com" {
		t.Errorf("after take-d1: kv %s d1 %s", kv, d1)
	}
	if code, out, _ = dmplanRun(t, "reconcile", dir); code != exitOK {
		t.Errorf("after take-d1: exit %d\n%s", code, out)
	}

	// The other choice: keep KV's object.
	withStore(t, dir, func(be backend.Backend, _ *runtime.Datastore) {
		for _, sql := range []string{`DELETE FROM acct`, `DELETE FROM bare`} {
			if _, err := be.D1().Query(ctx, backend.Stmt{SQL: sql}); err != nil {
				t.Fatal(err)
			}
		}
		nss, _ := be.KV().Namespaces(ctx)
		for _, ns := range nss {
			if ns.Title == "rc-local-ACCT" || ns.Title == "rc-local-BARE" {
				_ = be.KV().Delete(ctx, ns.ID, strings.ToLower(strings.TrimPrefix(ns.Title, "rc-local-"))+":x")
			}
		}
	})
	loser()
	if code, out, errOut = dmplanRun(t, strings.Fields(takeKV)[1:]...); code != exitOK || !strings.Contains(out, "ACCT x: D1 row rewritten from its KV object") {
		t.Fatalf("take-kv: exit %d\n%s\n%s", code, out, errOut)
	}
	if kv, d1 := emails(); kv != "b@example.com" || d1 != "b@example.com" {
		t.Errorf("after take-kv: kv %s d1 %s", kv, d1)
	}
	if code, out, _ = dmplanRun(t, "reconcile", "-model", "ACCT", dir); code != exitOK {
		t.Errorf("after take-kv: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"reconcile", "-take-kv", "x", dir}, {"reconcile", "-model", "ACCT", "-take-kv", "x", "-take-d1", "x", dir}, {"reconcile", "-model", "ACCT", "-fix", "-take-kv", "x", dir}} {
		if code, _, errOut := dmplanRun(t, bad...); code != exitError || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errOut)
		}
	}
}
