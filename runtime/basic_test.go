package runtime_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSaveWritesKVThenD1(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("user_1")
	page := u.New("PAGE")
	page.SetAll(map[string]any{
		"title":      "My Page",
		"url":        "https://example.com",
		"content":    "<html>...</html>",
		"project_id": "proj_123",
	})
	if err := page.Save(e.ctx); err != nil {
		t.Fatal(err)
	}
	id := page.ID()
	if len(id) != 36 {
		t.Fatalf("id %q is not a UUID", id)
	}
	raw := e.kvValue(t, "PAGES", "page:"+id)
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"page_id": id, "title": "My Page", "url": "https://example.com", "content": "<html>...</html>",
		"project_id": "proj_123", "status": "pending", "user_id": "user_1",
		"created_at": "2026-11-27T14:50:08.123Z", "updated_at": "2026-11-27T14:50:08.123Z",
		"deleted_at": nil, "_auth": []any{"user_1"},
	}
	if d := cmp.Diff(want, obj); d != "" {
		t.Errorf("KV object (-want +got):\n%s", d)
	}
	row := e.d1Row(t, "page_meta", "page_id", id)
	wantRow := map[string]any{
		"page_id": id, "project_id": "proj_123", "url": "https://example.com", "title": "My Page",
		"status": "pending", "last_processed": nil, "user_id": "user_1",
		"created_at": "2026-11-27T14:50:08.123Z", "updated_at": "2026-11-27T14:50:08.123Z", "deleted_at": nil,
	}
	if d := cmp.Diff(wantRow, row); d != "" {
		t.Errorf("D1 row (-want +got):\n%s", d)
	}
	got, err := u.Get(e.ctx, "PAGE", id)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(page.Data(), got.Data()); d != "" {
		t.Errorf("Get after Save (-saved +got):\n%s", d)
	}
}
