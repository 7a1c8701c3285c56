package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

const budgetModels = `
project "budget" {}

model "NOTE" {
  primary_key = "note_id"
  options {
    timestamps = true
  }
  field "title" {
    type     = string
    required = true
  }
  field "slug" { type = string }
  field "score" {
    type    = integer
    default = 0
  }
  kv {
    namespace   = "NOTES"
    key_pattern = "note:{id}"
  }
  d1 {
    table       = "notes"
    sync_fields = ["title", "slug", "score"]
    index "by_slug" {
      columns = ["slug"]
      unique  = true
    }
  }
}

model "DRAFT" {
  primary_key = "draft_id"
  options {
    soft_delete = true
  }
  field "title" { type = string }
  kv {
    namespace   = "DRAFTS"
    key_pattern = "draft:{id}:v1"
  }
  d1 {
    table       = "drafts"
    sync_fields = ["title"]
  }
}
`

// openRuntime applies the budget models to a fresh gateway tenant and opens
// the runtime on it.
func openRuntime(t *testing.T) (*fixture, *runtime.Handle) {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	b := newSlotted(t, f)
	spec, diags := hclspec.LoadSources("budget", map[string][]byte{"budget.dm.hcl": []byte(budgetModels)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := applier.Apply(ctx, b, planner.Diff(spec, "test", live), applier.Options{Logger: quiet}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	ds, err := runtime.Open(ctx, spec, b, runtime.WithEnvironment("test"), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return f, ds.Auth("user-1")
}

// TestRuntimeBudget counts the round trips of each runtime operation over
// the gateway.
func TestRuntimeBudget(t *testing.T) {
	f, h := openRuntime(t)
	ctx := context.Background()
	newNote := func(i int) *runtime.Record {
		r := h.New("NOTE")
		r.Set("title", fmt.Sprintf("note %d", i))
		r.Set("slug", fmt.Sprintf("note-%d", i))
		r.Set("score", int64(i))
		return r
	}
	// Warm up: the first operation of a model may look its namespace up.
	if err := newNote(-1).Save(ctx); err != nil {
		t.Fatal(err)
	}
	d := h.New("DRAFT")
	d.Set("title", "warm-up")
	if err := d.Save(ctx); err != nil {
		t.Fatal(err)
	}

	budget := func(name string, want int, fn func() error) {
		t.Helper()
		var err error
		got := f.count(func() { err = fn() })
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got > want {
			reqs := f.g.Requests(t, f.tenant.Index)
			t.Errorf("%s took %d round trips, budget %d (last requests: %+v)", name, got, want, reqs[max(0, len(reqs)-got):])
		} else {
			t.Logf("%s: %d round trips (budget %d)", name, got, want)
		}
	}
	first := newNote(0)
	budget("Save (create)", 1, func() error { return first.Save(ctx) })
	id := first.ID()
	var got *runtime.Record
	budget("Get", 1, func() error {
		var err error
		got, err = h.Get(ctx, "NOTE", id)
		return err
	})
	got.Set("title", "changed")
	budget("Save (update)", 1, func() error { return got.Save(ctx) })
	for i := 1; i < 30; i++ {
		if err := newNote(i).Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	budget("page + total", 1, func() error {
		res, err := h.Query("NOTE").Limit(10).List(ctx)
		if err == nil && (len(res.Data) != 10 || res.Pagination.Total != 31) {
			err = fmt.Errorf("page of %d, total %d; want 10 of 31", len(res.Data), res.Pagination.Total)
		}
		return err
	})
	budget("hydrated page (WithData)", 1, func() error {
		res, err := h.Query("NOTE").Limit(10).WithData().List(ctx)
		if err == nil && (len(res.Data) != 10 || res.Data[0]["title"] == nil) {
			err = fmt.Errorf("hydrated page = %v", res.Data)
		}
		return err
	})
	// A save D1 refuses for a constraint is taken back: the KV object and
	// the D1 row are read (one round trip, so a later write of another
	// writer is never erased), then KV is put back (one more).
	dup := newNote(2)
	budget("Save with a UNIQUE conflict, then the take-back", 3, func() error {
		if err := dup.Save(ctx); !errors.Is(err, runtime.ErrConflict) {
			return fmt.Errorf("duplicate slug: %v, want ErrConflict", err)
		}
		return nil
	})
	if _, err := h.Get(ctx, "NOTE", dup.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("the refused record's KV object was not taken back: %v", err)
	}
	given := h.New("NOTE")
	given.Set("note_id", "chosen-id")
	given.Set("title", "chosen")
	given.Set("slug", "chosen")
	// A caller-chosen id is first checked free in KV (so a create never
	// overwrites another record's object), then written.
	budget("Save (create with a caller-chosen id)", 2, func() error { return given.Save(ctx) })
	again := h.New("NOTE")
	again.Set("note_id", "chosen-id")
	again.Set("title", "chosen again")
	again.Set("slug", "chosen-again")
	if err := again.Save(ctx); !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("second create of chosen-id: %v, want ErrConflict", err)
	}
	budget("Delete (hard, by id)", 2, func() error { return h.Delete(ctx, "NOTE", id) })
	budget("Delete (soft, by id)", 2, func() error { return h.Delete(ctx, "DRAFT", d.ID()) })
	recs := make([]*runtime.Record, 1000)
	for i := range recs {
		recs[i] = newNote(1000 + i)
	}
	budget("SaveMany(1000)", 2, func() error { return h.SaveMany(ctx, recs) })
	budget("hydrated page of 100", 1, func() error {
		res, err := h.Query("NOTE").Limit(100).WithData().List(ctx)
		if err == nil && len(res.Data) != 100 {
			err = fmt.Errorf("hydrated page of %d", len(res.Data))
		}
		return err
	})
}
