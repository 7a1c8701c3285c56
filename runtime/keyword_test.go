package runtime_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

// TestKeywordNames: SQLite keywords as table, column and index names work
// through apply, save, query and update, because every identifier is
// quoted.
func TestKeywordNames(t *testing.T) {
	const src = `project "kw" {}

model "ORDER" {
  options { user_tracking = false }
  field "key" { type = string }
  field "group" { type = string }
  field "values" { type = integer }
  field "plan" { type = text }
  d1 {
    sync_fields = ["key", "group", "values"]
    index "select" { columns = ["group", "values"] }
  }
}
`
	ctx := context.Background()
	_, ds := openSource(t, ctx, "kw", src)
	h := ds.System()
	for i, k := range []string{"b", "a", "c"} {
		if _, err := h.Create(ctx, "ORDER", map[string]any{"key": k, "group": "g", "values": i, "plan": "p"}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := h.Query("ORDER").Where("group", "g").WhereOp("values", ">=", 0).OrderBy("key", runtime.Desc).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range res.Data {
		keys = append(keys, r["key"].(string))
	}
	if d := cmp.Diff([]string{"c", "b", "a"}, keys); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	id := res.Data[0]["order_id"].(string)
	if _, err := h.Update(ctx, "ORDER", id, map[string]any{"group": "h"}); err != nil {
		t.Fatal(err)
	}
	n, err := h.Query("ORDER").Where("group", "h").Count(ctx)
	if err != nil || n != 1 {
		t.Errorf("count group h = %d (%v), want 1", n, err)
	}
}
