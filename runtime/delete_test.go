package runtime_test

import (
	"encoding/json"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

func TestSoftDeleteAndRestore(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	ids := seedPages(t, e, "u1", "p1", 3)
	e.clock.Advance(time.Hour)
	r, err := u.Get(e.ctx, "PAGE", ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(e.ctx); err != nil {
		t.Fatal(err)
	}
	// Both stores keep the record with deleted_at set.
	const at = "2026-11-27T15:50:08.123Z"
	if row := e.d1Row(t, "page_meta", "page_id", ids[1]); row == nil || row["deleted_at"] != at {
		t.Fatalf("D1 row after soft delete: %v", row)
	}
	var obj map[string]any
	if err := json.Unmarshal(e.kvValue(t, "PAGES", "page:"+ids[1]), &obj); err != nil || obj["deleted_at"] != at {
		t.Fatalf("KV object after soft delete: %v %v", obj, err)
	}
	if !r.IsDeleted() {
		t.Error("record not marked deleted")
	}
	if err := r.Delete(e.ctx); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}

	list := func(q *runtime.Query) []string {
		t.Helper()
		res, err := q.List(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, d := range res.Data {
			out = append(out, d["page_id"].(string))
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s ...string) []string { s = append([]string(nil), s...); sort.Strings(s); return s }
	if d := cmp.Diff(sorted(ids[0], ids[2]), list(u.Query("PAGE"))); d != "" {
		t.Errorf("default excludes deleted (-want +got):\n%s", d)
	}
	if d := cmp.Diff(sorted(ids...), list(u.Query("PAGE").IncludeDeleted())); d != "" {
		t.Errorf("IncludeDeleted (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{ids[1]}, list(u.Query("PAGE").OnlyDeleted())); d != "" {
		t.Errorf("OnlyDeleted (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{ids[1]}, list(u.Query("PAGE").OnlyDeleted().WithData())); d != "" {
		t.Errorf("OnlyDeleted WithData (-want +got):\n%s", d)
	}

	if err := r.Restore(e.ctx); err != nil {
		t.Fatal(err)
	}
	if row := e.d1Row(t, "page_meta", "page_id", ids[1]); row["deleted_at"] != nil {
		t.Fatalf("D1 row after restore: %v", row)
	}
	if d := cmp.Diff(sorted(ids...), list(u.Query("PAGE"))); d != "" {
		t.Errorf("after restore (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{}, list(u.Query("PAGE").OnlyDeleted())); d != "" {
		t.Errorf("OnlyDeleted after restore (-want +got):\n%s", d)
	}
}

func TestHardDelete(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	r, err := u.Create(e.ctx, "TOKEN", map[string]any{"label": "api"})
	if err != nil {
		t.Fatal(err)
	}
	id := r.ID()
	if e.d1Row(t, "token", "token_id", id) == nil || e.kvValue(t, "TOKEN", "token:"+id) == nil {
		t.Fatal("token not written")
	}
	if err := r.Delete(e.ctx); err != nil {
		t.Fatal(err)
	}
	if row := e.d1Row(t, "token", "token_id", id); row != nil {
		t.Errorf("D1 row still there: %v", row)
	}
	if v := e.kvValue(t, "TOKEN", "token:"+id); v != nil {
		t.Errorf("KV object still there: %s", v)
	}
	if _, err := u.Get(e.ctx, "TOKEN", id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Get after hard delete: %v", err)
	}
	if _, err := u.Query("TOKEN").OnlyDeleted().List(e.ctx); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("OnlyDeleted on a hard-delete model: %v", err)
	}
	if !r.IsNew() {
		t.Error("a hard-deleted record should be new again")
	}
	other, err := u.Create(e.ctx, "TOKEN", map[string]any{"label": "other"})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Delete(e.ctx, "TOKEN", other.ID()); err != nil {
		t.Fatal(err)
	}
	if e.d1Row(t, "token", "token_id", other.ID()) != nil {
		t.Error("Handle.Delete left the D1 row")
	}
}
