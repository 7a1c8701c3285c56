package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

const slugModels = `project "uq" {}

model "PROJECT" {
  options { user_tracking = false }
  field "name" { type = string }
  field "slug" {
    type     = string
    required = true
  }
  kv { key_pattern = "project:{id}" }
  d1 {
    table       = "projects"
    sync_fields = ["name", "slug"]
    index "by_slug" {
      columns = ["slug"]
      unique  = true
    }
  }
}
`

// slugStore applies slugModels to a new local store and stores project
// "a1" with slug "a".
func slugStore(t *testing.T) (context.Context, *local.Store, *hclspec.Spec, *runtime.Handle) {
	t.Helper()
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	spec, diags := hclspec.LoadSources("uq", map[string][]byte{"p.dm.hcl": []byte(slugModels)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	applySpec(t, ctx, store, spec, nil)
	ds, err := runtime.Open(ctx, spec, store)
	if err != nil {
		t.Fatal(err)
	}
	h := ds.System()
	if _, err := h.Create(ctx, "PROJECT", map[string]any{"project_id": "a1", "name": "first", "slug": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Create(ctx, "PROJECT", map[string]any{"project_id": "b1", "name": "second", "slug": "b"}); err != nil {
		t.Fatal(err)
	}
	return ctx, store, spec, h
}

// TestConstraintFailureLeavesNoGhost: a write D1 refuses for a UNIQUE index
// is ErrConflict naming the constraint, and KV is as it was before.
func TestConstraintFailureLeavesNoGhost(t *testing.T) {
	tests := []struct {
		name    string
		write   func(ctx context.Context, h *runtime.Handle) error
		wantIDs []string
	}{
		{"create", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.Create(ctx, "PROJECT", map[string]any{"project_id": "c1", "name": "dup", "slug": "a"})
			return err
		}, []string{"c1"}},
		{"update", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.Update(ctx, "PROJECT", "b1", map[string]any{"slug": "a", "name": "renamed"})
			return err
		}, []string{"b1"}},
		{"create many, one breaks the index", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.CreateMany(ctx, "PROJECT", []map[string]any{
				{"project_id": "c1", "slug": "c"},
				{"project_id": "d1", "slug": "a"},
			})
			return err
		}, []string{"c1", "d1"}},
		{"save many, an update and a create in one batch", func(ctx context.Context, h *runtime.Handle) error {
			b, err := h.Get(ctx, "PROJECT", "b1")
			if err != nil {
				return err
			}
			b.Set("name", "renamed")
			n := h.New("PROJECT")
			n.SetAll(map[string]any{"project_id": "c1", "slug": "a"})
			return h.SaveMany(ctx, []*runtime.Record{b, n})
		}, []string{"b1", "c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, store, spec, h := slugStore(t)
			ns := nsIDOf(t, ctx, store, spec, "PROJECT")
			before := kvContents(t, ctx, store, ns)
			err := tt.write(ctx, h)
			if !errors.Is(err, runtime.ErrConflict) || !errors.Is(err, backend.ErrConstraint) || errors.Is(err, runtime.ErrPartialWrite) {
				t.Fatalf("err = %v, want ErrConflict from a constraint, not a partial write", err)
			}
			t.Logf("err: %v", err)
			var ce *runtime.ConstraintError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v is not a *ConstraintError", err)
			}
			if d := cmp.Diff("UNIQUE constraint failed: projects.slug", ce.Constraint); d != "" {
				t.Errorf("constraint (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantIDs, ce.IDs); d != "" {
				t.Errorf("ids (-want +got):\n%s", d)
			}
			if d := cmp.Diff(before, kvContents(t, ctx, store, ns)); d != "" {
				t.Errorf("KV after the refused write (-before +after):\n%s", d)
			}
			if _, err := h.Get(ctx, "PROJECT", "c1"); !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("Get of the refused new record: %v, want ErrNotFound", err)
			}
			b, err := h.Get(ctx, "PROJECT", "b1")
			if err != nil || b.Get("slug") != "b" || b.Get("name") != "second" {
				t.Errorf("b1 after the refused write: %v %v", err, b.Data())
			}
			res, err := h.Query("PROJECT").Count(ctx)
			if err != nil || res != 2 {
				t.Errorf("D1 rows = %d (%v), want 2", res, err)
			}
		})
	}
}

// kvContents returns every key and value of a namespace.
func kvContents(t *testing.T, ctx context.Context, store *local.Store, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		page, err := store.KV().List(ctx, ns, "", cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			e, err := store.KV().Get(ctx, ns, k.Name)
			if err != nil {
				t.Fatal(err)
			}
			out[k.Name] = string(e.Value)
		}
		if page.Cursor == "" {
			return out
		}
		cursor = page.Cursor
	}
}

// TestConstraintFailureInALaterBatch: when a later batch of a large
// SaveMany breaks the index, the earlier batches stay saved and every
// record of the failed batch (and after) is taken back from KV, so KV and
// D1 hold the same records.
func TestConstraintFailureInALaterBatch(t *testing.T) {
	ctx, store, spec, h := slugStore(t)
	const n = 4000
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"project_id": fmt.Sprintf("p%05d", i), "slug": fmt.Sprintf("s%05d", i)}
	}
	data[n-10]["slug"] = "a" // taken by a1, in the last batch
	_, err := h.CreateMany(ctx, "PROJECT", data)
	var ce *runtime.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, runtime.ErrConflict) || !strings.Contains(err.Error(), "earlier batches were saved") {
		t.Fatalf("err = %v, want a ConstraintError saying earlier batches were saved", err)
	}
	rows, err := h.Query("PROJECT").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kv := kvContents(t, ctx, store, nsIDOf(t, ctx, store, spec, "PROJECT"))
	if int64(len(kv)) != rows {
		t.Errorf("KV holds %d objects, D1 %d rows; want the same records", len(kv), rows)
	}
	if rows <= 2 || rows >= n+2 {
		t.Errorf("D1 rows = %d, want the earlier batches only", rows)
	}
	if int64(len(ce.IDs)) != n+2-rows {
		t.Errorf("the error names %d records, want the %d not written", len(ce.IDs), n+2-rows)
	}
	if _, err := h.Get(ctx, "PROJECT", fmt.Sprintf("p%05d", n-10)); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("the record that broke the index: %v, want ErrNotFound", err)
	}
}
