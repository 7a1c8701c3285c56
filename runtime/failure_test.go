package runtime_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/runtime"
)

func TestKVFailureStopsD1Write(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	fb.kv.failPut = errors.New("kv unavailable")
	_, err := u.Create(e.ctx, "PAGE", newPage("p"))
	if err == nil || !strings.Contains(err.Error(), "kv unavailable") || errors.Is(err, runtime.ErrPartialWrite) {
		t.Fatalf("err = %v", err)
	}
	if fb.d1.queries != 0 {
		t.Errorf("D1 written after a KV failure: %d queries", fb.d1.queries)
	}
	if _, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{newPage("p"), newPage("p")}); err == nil {
		t.Fatal("bulk create with KV down succeeded")
	}
	if fb.d1.batchs != 0 {
		t.Errorf("D1 batch after a KV failure")
	}
}

func TestD1FailureAfterKVNamesTheRecord(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	fb.d1.fail = errors.New("d1 overloaded")
	r := u.New("PAGE")
	r.SetAll(newPage("p"))
	err := r.Save(e.ctx)
	var pw *runtime.PartialWriteError
	if !errors.As(err, &pw) || !errors.Is(err, runtime.ErrPartialWrite) {
		t.Fatalf("err = %v", err)
	}
	if pw.Model != "PAGE" || len(pw.IDs) != 1 || pw.IDs[0] != r.ID() || !strings.Contains(err.Error(), r.ID()) || !strings.Contains(err.Error(), "reconcile") {
		t.Errorf("partial write error = %v", err)
	}
	fb.d1.fail = nil
	// KV has the object (reconcile's source of truth); D1 has no row.
	if e.kvValue(t, "PAGES", "page:"+r.ID()) == nil || e.d1Row(t, "page_meta", "page_id", r.ID()) != nil {
		t.Error("want the KV object and no D1 row")
	}
	// Saving again repairs it (no "id taken" for the record's own id).
	if err := r.Save(e.ctx); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if e.d1Row(t, "page_meta", "page_id", r.ID()) == nil {
		t.Error("retry did not write the D1 row")
	}

	fb.d1.fail = errors.New("d1 overloaded")
	recs, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{newPage("p"), newPage("q")})
	if !errors.As(err, &pw) || len(pw.IDs) != 2 || len(recs) != 2 {
		t.Fatalf("bulk partial write: %v", err)
	}
	fb.d1.fail = nil
	if err := u.SaveMany(e.ctx, recs); err != nil {
		t.Fatalf("bulk retry: %v", err)
	}
	for _, r := range recs {
		if e.d1Row(t, "page_meta", "page_id", r.ID()) == nil {
			t.Errorf("bulk retry did not write %s", r.ID())
		}
	}
}

func TestNotMigrated(t *testing.T) {
	t.Run("missing table", func(t *testing.T) {
		e := setup(t)
		if _, err := e.store.D1().Query(e.ctx, backend.Stmt{SQL: `DROP TABLE page_meta`}); err != nil {
			t.Fatal(err)
		}
		u := e.ds.Auth("u1")
		_, err := u.Create(e.ctx, "PAGE", newPage("p"))
		if !errors.Is(err, runtime.ErrNotMigrated) || !errors.Is(err, runtime.ErrPartialWrite) || !strings.Contains(err.Error(), "dmplan apply") {
			t.Errorf("save: %v", err)
		}
		if _, err := u.Query("PAGE").List(e.ctx); !errors.Is(err, runtime.ErrNotMigrated) {
			t.Errorf("query: %v", err)
		}
		if err := e.ds.Check(e.ctx); !errors.Is(err, runtime.ErrNotMigrated) || !strings.Contains(err.Error(), "table page_meta") {
			t.Errorf("check: %v", err)
		}
	})
	t.Run("missing column", func(t *testing.T) {
		e := setup(t)
		if _, err := e.store.D1().Query(e.ctx, backend.Stmt{SQL: `ALTER TABLE page_meta DROP COLUMN last_processed`}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ds.Auth("u1").Query("PAGE").List(e.ctx); !errors.Is(err, runtime.ErrNotMigrated) {
			t.Errorf("query: %v", err)
		}
		if err := e.ds.Check(e.ctx); !errors.Is(err, runtime.ErrNotMigrated) || !strings.Contains(err.Error(), "column page_meta.last_processed") {
			t.Errorf("check: %v", err)
		}
	})
	t.Run("nothing applied", func(t *testing.T) {
		e := setup(t)
		bare, err := local.Open(e.ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer bare.Close()
		ds, err := runtime.Open(e.ctx, e.spec, bare)
		if err != nil {
			t.Fatalf("Open must not need the schema: %v", err)
		}
		_, err = ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p"))
		if !errors.Is(err, runtime.ErrNotMigrated) || !strings.Contains(err.Error(), "rt-local-PAGES") {
			t.Errorf("save: %v", err)
		}
		if _, err := ds.Auth("u1").Get(e.ctx, "PAGE", "x"); !errors.Is(err, runtime.ErrNotMigrated) {
			t.Errorf("get: %v", err)
		}
		if err := ds.Check(e.ctx); !errors.Is(err, runtime.ErrNotMigrated) {
			t.Errorf("check: %v", err)
		}
		// Applying later is picked up without reopening.
		migrate(t, e.ctx, e.spec, bare, "local")
		if err := ds.Check(e.ctx); err != nil {
			t.Errorf("check after migrate: %v", err)
		}
		if _, err := ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p")); err != nil {
			t.Errorf("save after migrate: %v", err)
		}
	})
	t.Run("other environment", func(t *testing.T) {
		e := setup(t)
		ds, err := runtime.Open(e.ctx, e.spec, e.store, runtime.WithEnvironment("production"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p")); !errors.Is(err, runtime.ErrNotMigrated) || !strings.Contains(err.Error(), "rt-production-PAGES") {
			t.Errorf("save: %v", err)
		}
		if err := e.ds.Check(e.ctx); err != nil {
			t.Errorf("check of the migrated environment: %v", err)
		}
	})
}
