package operator_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
)

const uniqueV1 = `
project "app" {}

model "NOTE" {
  field "title" { type = string }
  d1 { sync_fields = ["title"] }
}
`

var uniqueV2 = strings.Replace(uniqueV1, `d1 { sync_fields = ["title"] }`, `d1 {
    sync_fields = ["title"]
    index "by_title" {
      columns = ["title"]
      unique  = true
    }
  }`, 1)

// Initialize refuses a unique index on rows that hold duplicates (DM112),
// and creates it once the records are fixed through the runtime.
func TestInitializeRefusesUniqueIndexOnDuplicates(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, uniqueV1)
	if _, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, title := range []string{"same", "same", "", ""} {
		data := map[string]any{"user_id": "u1"}
		if title != "" {
			data["title"] = title // two records without a title: NULLs never conflict
		}
		r, err := e.ds.System().Create(ctx, "NOTE", data)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}

	e.open(t, uniqueV2)
	_, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if !errors.Is(err, applier.ErrBlocked) || !strings.Contains(err.Error(), "DM112 note_by_title: unique index note_by_title on note(title) cannot be created: the table holds duplicate values") {
		t.Fatalf("Initialize = %v, want ErrBlocked listing DM112 note_by_title", err)
	}
	if n := len(e.rows(t, "SELECT 1 FROM sqlite_master WHERE name = 'note_by_title'")); n != 0 {
		t.Fatal("Initialize created the index despite the duplicates")
	}

	if _, err := e.ds.System().Update(ctx, "NOTE", ids[1], map[string]any{"title": "other"}); err != nil {
		t.Fatal(err)
	}
	rep, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if err != nil {
		t.Fatalf("Initialize after the fix: %v", err)
	}
	if diff := cmp.Diff([]string{"note_by_title"}, rep.IndexesCreated); diff != "" {
		t.Errorf("indexes created (-want +got):\n%s", diff)
	}
}

// TestReconcileNamesARowReplacedAway: another writer's INSERT OR REPLACE
// of a row repeating a unique value deletes the first record's row; its
// KV object stays. Reconcile reports that record as a missing row naming
// the record that holds the value, the index and the repair, and a fix
// says D1 refuses it; after the repair the drift is gone.
func TestReconcileNamesARowReplacedAway(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, uniqueV2)
	e.initialize(t)
	a, err := e.ds.Auth("u1").Create(ctx, "NOTE", map[string]any{"title": "same"})
	if err != nil {
		t.Fatal(err)
	}
	// The other writer: KV put of its whole object, then the forbidden
	// statement.
	st, err := e.ds.Storage("NOTE")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := st.Namespace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	obj := `{"note_id":"b1","title":"same","user_id":"u2","created_at":"2026-01-01T10:00:00Z","updated_at":"2026-01-01T10:00:00Z","deleted_at":null,"_auth":["u2"]}`
	if err := e.be.KV().Put(ctx, ns, backend.Entry{Key: "note:b1", Value: []byte(obj)}); err != nil {
		t.Fatal(err)
	}
	e.rows(t, `INSERT OR REPLACE INTO note (note_id, title, user_id, created_at, updated_at, deleted_at) VALUES ('b1', 'same', 'u2', '2026-01-01T10:00:00Z', '2026-01-01T10:00:00Z', NULL)`)

	for _, fix := range []bool{false, true} {
		rep, err := operator.Reconcile(ctx, e.ds, operator.ReconcileOptions{Fix: fix})
		if err != nil {
			t.Fatal(err)
		}
		d := rep.Models[0].Drift
		if len(d) != 1 || d[0].ID != a.ID() || d[0].Kind != operator.DriftMissingRow || d[0].Fixed {
			t.Fatalf("fix %v: drift = %+v, want %s missing_row, not fixed", fix, d, a.ID())
		}
		want := "record b1 holds the same title in D1 (unique index note_by_title), so this record's row cannot be written " +
			"(a write of that record with INSERT OR REPLACE, which deletes the rows it collides with, leaves exactly this); " +
			"give one of the two records another title and save it, then run `dmplan reconcile -fix`"
		if fix {
			want += "; not rewritten, D1 refuses the row: UNIQUE constraint failed: note.title"
		}
		if d[0].Problem != want {
			t.Errorf("fix %v: problem\n%q, want\n%q", fix, d[0].Problem, want)
		}
	}
	if _, err := e.ds.Auth("u1").Update(ctx, "NOTE", a.ID(), map[string]any{"title": "other"}); err != nil {
		t.Fatal(err)
	}
	rep, err := operator.Reconcile(ctx, e.ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drifted() {
		t.Errorf("drift after the repair: %+v", rep.Models[0].Drift)
	}
}

// TestReconcileLiveUniqueMissingDeletedRow: under unique = "live" a
// soft-deleted record's value may be held by a live record; when the
// deleted record's row goes missing, reconcile does not blame the live
// record (the deleted row is not in the index), and -fix writes it back.
func TestReconcileLiveUniqueMissingDeletedRow(t *testing.T) {
	ctx := context.Background()
	live := strings.Replace(uniqueV2, `unique  = true`, `unique  = "live"`, 1)
	e := newSeedEnv(t, live)
	e.initialize(t)
	u := e.ds.Auth("u1")
	a, err := u.Create(ctx, "NOTE", map[string]any{"title": "same"})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Delete(ctx, "NOTE", a.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Create(ctx, "NOTE", map[string]any{"title": "same"}); err != nil {
		t.Fatalf("create with a deleted record's title: %v", err)
	}
	e.rows(t, `DELETE FROM note WHERE note_id = '`+a.ID()+`'`)
	for _, fix := range []bool{false, true} {
		rep, err := operator.Reconcile(ctx, e.ds, operator.ReconcileOptions{Fix: fix})
		if err != nil {
			t.Fatal(err)
		}
		d := rep.Models[0].Drift
		if len(d) != 1 || d[0].ID != a.ID() || d[0].Kind != operator.DriftMissingRow || d[0].Problem != "" || d[0].Fixed != fix {
			t.Fatalf("fix %v: drift = %+v, want %s missing_row without a problem, fixed %v", fix, d, a.ID(), fix)
		}
	}
	if rep, err := operator.Reconcile(ctx, e.ds, operator.ReconcileOptions{}); err != nil || rep.Drifted() {
		t.Errorf("after the fix: %+v, %v", rep, err)
	}
}
