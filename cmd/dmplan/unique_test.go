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

// A unique index added to a table whose rows share the indexed value is
// blocked (DM112) by plan and apply; once the records are fixed through the
// runtime, the same configuration creates it.
func TestUniqueIndexOnDuplicateRows(t *testing.T) {
	dir, ids := reconcileFixture(t, 3) // three notes titled "hello"
	v2 := strings.Replace(reconcileHCL, `sync_fields = ["title"]`, `sync_fields = ["title"]
    index "by_title" {
      columns = ["title"]
      unique  = true
    }`, 1)
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	indexExists := func() bool {
		var n any
		withStore(t, dir, func(be backend.Backend, _ *runtime.Datastore) {
			res, err := be.D1().Query(context.Background(), backend.Stmt{SQL: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'note_by_title'`})
			if err != nil {
				t.Fatal(err)
			}
			n = res.Rows[0][0]
		})
		return n == int64(1)
	}

	code, out, errOut := dmplanRun(t, "plan", dir)
	if code != exitError {
		t.Errorf("plan with duplicates: exit %d, want %d\n%s\n%s", code, exitError, out, errOut)
	}
	all := out + errOut
	for _, want := range []string{
		"DM112",
		"unique index note_by_title on note(title) cannot be created: the table holds duplicate values",
		`SELECT "title", COUNT(*) FROM "note" GROUP BY "title" HAVING COUNT(*) > 1`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("plan output lacks %q:\n%s\n%s", want, out, errOut)
		}
	}
	if strings.Contains(out, "create index note_by_title") {
		t.Errorf("plan still creates the index:\n%s", out)
	}
	if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitError || strings.Contains(out+errOut, "UNIQUE constraint failed") {
		t.Errorf("apply with duplicates: exit %d, want %d without a constraint failure\n%s\n%s", code, exitError, out, errOut)
	}
	if indexExists() {
		t.Fatal("apply created note_by_title despite the duplicates")
	}

	withStore(t, dir, func(_ backend.Backend, ds *runtime.Datastore) {
		for i, id := range ids[1:] {
			if _, err := ds.System().Update(context.Background(), "NOTE", id, map[string]any{"title": "hello " + string(rune('a'+i))}); err != nil {
				t.Fatal(err)
			}
		}
	})
	if code, out, errOut := dmplanRun(t, "plan", dir); code != exitOK || strings.Contains(out, "DM112") || !strings.Contains(out, "note_by_title") {
		t.Errorf("plan without duplicates: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitOK {
		t.Fatalf("apply without duplicates: exit %d\n%s\n%s", code, out, errOut)
	}
	if !indexExists() {
		t.Error("apply did not create note_by_title")
	}
}

// A unique index on a column the same plan adds to a table with rows is
// blocked (DM113): the column is filled from the KV objects only at apply,
// so duplicates there would stop apply halfway, after the backfill.
func TestUniqueIndexOnBackfilledColumn(t *testing.T) {
	dir, _ := reconcileFixture(t, 2) // two notes, both with body "b"
	v2 := strings.Replace(reconcileHCL, `sync_fields = ["title"]`, `sync_fields = ["title", "body"]
    index "by_body" {
      columns = ["body"]
      unique  = true
    }`, 1)
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := dmplanRun(t, "plan", "-no-color", dir)
	if code != exitError || !strings.Contains(out+errOut, "DM113") || strings.Contains(out, "create index note_by_body") {
		t.Fatalf("plan: exit %d, want %d with DM113 and no create index\n%s\n%s", code, exitError, out, errOut)
	}
	if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitError || strings.Contains(out+errOut, "UNIQUE constraint failed") {
		t.Fatalf("apply: exit %d, want %d without a constraint failure\n%s\n%s", code, exitError, out, errOut)
	}
	// Without the index the column is added and filled; the next plan
	// checks the filled values and blocks the index as DM112.
	v3 := strings.Replace(reconcileHCL, `sync_fields = ["title"]`, `sync_fields = ["title", "body"]`, 1)
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(v3), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitOK {
		t.Fatalf("apply without the index: exit %d\n%s\n%s", code, out, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := dmplanRun(t, "plan", "-no-color", dir); code != exitError || !strings.Contains(out+errOut, "DM112") {
		t.Fatalf("plan of the index on filled values: exit %d, want DM112\n%s\n%s", code, out, errOut)
	}
}

// A saved plan that creates a unique index, applied after the live rows
// came to share the index's values, is refused as the target having moved
// on (DM112, with its hint), not as a file that does not match its
// sources; the index is not created.
func TestSavedPlanRefusedForNewDuplicates(t *testing.T) {
	dir, ids := reconcileFixture(t, 2) // two notes titled "hello"
	ctx := context.Background()
	withStore(t, dir, func(_ backend.Backend, ds *runtime.Datastore) {
		if _, err := ds.System().Update(ctx, "NOTE", ids[1], map[string]any{"title": "other"}); err != nil {
			t.Fatal(err)
		}
	})
	v2 := strings.Replace(reconcileHCL, `sync_fields = ["title"]`, `sync_fields = ["title"]
    index "by_title" {
      columns = ["title"]
      unique  = true
    }`, 1)
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	planPath := filepath.Join(t.TempDir(), "plan.json")
	if code, out, errOut := dmplanRun(t, "plan", "-out", planPath, dir); code != exitOK || !strings.Contains(out, "note_by_title") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	withStore(t, dir, func(_ backend.Backend, ds *runtime.Datastore) {
		if _, err := ds.System().Update(ctx, "NOTE", ids[1], map[string]any{"title": "hello"}); err != nil {
			t.Fatal(err)
		}
	})
	code, out, errOut := dmplanRun(t, "apply", planPath)
	if code != exitError {
		t.Errorf("apply: exit %d, want %d\n%s\n%s", code, exitError, out, errOut)
	}
	for _, want := range []string{"saved plan is stale", "DM112 note_by_title is now blocked by the target's data", `HAVING COUNT(*) > 1`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("apply: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "does not match its sources") || strings.Contains(out, "Apply complete") {
		t.Errorf("apply blamed the file or applied:\n%s\n%s", out, errOut)
	}
}
