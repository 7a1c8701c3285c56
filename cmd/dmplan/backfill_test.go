package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

func TestApplyBackfillsNewSyncedColumn(t *testing.T) {
	dir, ids := reconcileFixture(t, 5)
	v2 := strings.Replace(reconcileHCL, `sync_fields = ["title"]`, `sync_fields = ["title", "body"]
    index "by_body" { columns = ["body"] }`, 1)
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := dmplanRun(t, "plan", dir)
	if code != exitOK {
		t.Fatalf("plan: %d\n%s\n%s", code, out, errOut)
	}
	add, fill, index := strings.Index(out, "note.body"), strings.Index(out, "backfill note.body"), strings.Index(out, "note_by_body")
	if add < 0 || fill < 0 || index < 0 || !(add < fill && fill < index) ||
		!strings.Contains(out, "the existing rows of note have no body yet: fill it from the KV objects of model NOTE") {
		t.Errorf("plan output:\n%s", out)
	}
	if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitOK {
		t.Fatalf("apply: %d\n%s\n%s", code, out, errOut)
	}
	withStore(t, dir, func(be backend.Backend, ds *runtime.Datastore) {
		res, err := be.D1().Query(context.Background(), backend.Stmt{SQL: `SELECT COUNT(*) FROM note WHERE body = 'b'`})
		if err != nil || res.Rows[0][0] != int64(len(ids)) {
			t.Errorf("rows with body filled = %v, %v", res, err)
		}
	})
	if code, out, _ := dmplanRun(t, "reconcile", dir); code != exitOK {
		t.Errorf("reconcile after backfill: %d\n%s", code, out)
	}
	if code, out, _ := dmplanRun(t, "history", dir); code != exitOK || strings.Count(out, "applied") < 2 {
		t.Errorf("history: %d\n%s", code, out)
	}
}
