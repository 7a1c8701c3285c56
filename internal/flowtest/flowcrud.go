package flowtest

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

// crud runs the runtime on the migrated target: two users, their projects
// and pages, updates, soft delete and restore, queries, a bulk save, auth
// isolation, and PUBLIC_DATA (no user_tracking, no auth) shared by both.
func (f *flow) crud(t *testing.T) {
	ctx := context.Background()
	ds := f.open(t, f.spec)
	if err := ds.Check(ctx); err != nil {
		t.Fatalf("Check after apply: %v", err)
	}
	alice, bob := ds.Auth("alice"), ds.Auth("bob")

	// Projects, one per user; the slug index is unique across users.
	projects := map[string]string{}
	for _, u := range []*runtime.Handle{alice, bob} {
		p, err := u.Create(ctx, "PROJECT", map[string]any{"name": "Site of " + u.UserID(), "slug": "site-" + u.UserID()})
		if err != nil {
			t.Fatalf("create project of %s: %v", u.UserID(), err)
		}
		if p.Get("user_id") != u.UserID() || p.Get("status") != "active" {
			t.Errorf("project of %s: user_id %v, status %v; want the owner and the default", u.UserID(), p.Get("user_id"), p.Get("status"))
		}
		projects[u.UserID()] = p.ID()
	}

	// Pages: alice 12 (statuses cycling, two languages), bob 3.
	statuses := []string{"pending", "processing", "completed", "failed"}
	var aliceIDs []string
	for i := range 12 {
		p := alice.New("PAGE")
		p.SetAll(map[string]any{
			"project_id": projects["alice"], "url": pageURL("alice", i), "title": "Page " + pageURL("alice", i),
			"status": statuses[i%4], "content": "<html>body of page</html>", "language": []string{"en", "fr"}[i%2],
		})
		if err := p.Save(ctx); err != nil {
			t.Fatalf("save alice's page %d: %v", i, err)
		}
		aliceIDs = append(aliceIDs, p.ID())
	}
	var bobIDs []string
	for i := range 3 {
		p, err := bob.Create(ctx, "PAGE", map[string]any{"project_id": projects["bob"], "url": pageURL("bob", i)})
		if err != nil {
			t.Fatalf("create bob's page %d: %v", i, err)
		}
		bobIDs = append(bobIDs, p.ID())
	}

	// Get: the owner sees the full object; the other user sees nothing.
	got, err := alice.Get(ctx, "PAGE", aliceIDs[3])
	if err != nil {
		t.Fatalf("alice Get: %v", err)
	}
	want := map[string]any{"url": pageURL("alice", 3), "status": "failed", "content": "<html>body of page</html>", "language": "fr", "user_id": "alice"}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("alice's page 3 field %s = %v, want %v", k, got.Get(k), v)
		}
	}
	if got.Get("created_at") == nil || got.Get("updated_at") == nil {
		t.Errorf("timestamps not set: %v", got.Data())
	}
	_, err = bob.Get(ctx, "PAGE", aliceIDs[3])
	isNotFound(t, "bob reads alice's page", err)
	_, err = bob.Update(ctx, "PAGE", aliceIDs[3], map[string]any{"title": "mine"})
	isNotFound(t, "bob updates alice's page", err)
	isNotFound(t, "bob deletes alice's page", bob.Delete(ctx, "PAGE", aliceIDs[3]))
	if _, err := bob.Create(ctx, "PAGE", map[string]any{"project_id": "x", "url": pageURL("bob", 99), "user_id": "alice"}); err == nil {
		t.Errorf("bob created a page owned by alice")
	}

	// Update with changes: the object and its row both change.
	up, err := alice.Update(ctx, "PAGE", aliceIDs[3], map[string]any{"status": "completed", "title": "Renamed"})
	if err != nil {
		t.Fatalf("alice Update: %v", err)
	}
	if up.Get("status") != "completed" || up.Get("title") != "Renamed" || up.Get("content") != "<html>body of page</html>" {
		t.Errorf("updated page = %v", up.Data())
	}
	if n, err := alice.Query("PAGE").Where("title", "Renamed").Count(ctx); err != nil || n != 1 {
		t.Errorf("rows with the new title = %d, %v; want 1", n, err)
	}

	// Soft delete and restore.
	if err := alice.Delete(ctx, "PAGE", aliceIDs[0]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = alice.Get(ctx, "PAGE", aliceIDs[0])
	isNotFound(t, "Get of a deleted page", err)
	if r, err := alice.Get(ctx, "PAGE", aliceIDs[0], runtime.IncludingDeleted()); err != nil || r.Get("deleted_at") == nil {
		t.Errorf("Get IncludingDeleted = %v, %v; want the page with deleted_at", r, err)
	}
	f.checkTotal(t, "alice's live pages", alice.Query("PAGE"), 11)
	f.checkTotal(t, "alice's deleted pages", alice.Query("PAGE").OnlyDeleted(), 1)
	if err := alice.Restore(ctx, "PAGE", aliceIDs[0]); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if r, err := alice.Get(ctx, "PAGE", aliceIDs[0]); err != nil || r.Get("deleted_at") != nil {
		t.Errorf("Get after Restore = %v, %v", r, err)
	}

	f.crudQuery(t, alice, projects["alice"])

	// Auth isolation in queries.
	res, err := bob.Query("PAGE").Limit(100).List(ctx)
	if err != nil {
		t.Fatalf("bob's query: %v", err)
	}
	var seen []string
	for _, row := range res.Data {
		seen = append(seen, row["page_id"].(string))
	}
	if d := cmp.Diff(slices.Sorted(slices.Values(bobIDs)), slices.Sorted(slices.Values(seen))); d != "" {
		t.Errorf("bob's pages (-want +got):\n%s", d)
	}
	f.checkTotal(t, "all pages for the system handle", ds.System().Query("PAGE"), 15)

	// Bulk save: a few hundred records in one call.
	recs := make([]*runtime.Record, 300)
	for i := range recs {
		recs[i] = alice.New("PAGE")
		recs[i].SetAll(map[string]any{"project_id": projects["alice"], "url": pageURL("bulk", i), "status": "pending", "language": "de"})
	}
	if err := alice.SaveMany(ctx, recs); err != nil {
		t.Fatalf("SaveMany: %v", err)
	}
	f.checkTotal(t, "bulk-saved pages", alice.Query("PAGE").Where("language", "de"), 300)
	f.checkTotal(t, "bob's pages after alice's bulk save", bob.Query("PAGE"), 3)
	if r, err := alice.Get(ctx, "PAGE", recs[299].ID()); err != nil || r.Get("url") != pageURL("bulk", 299) {
		t.Errorf("Get of a bulk-saved page = %v, %v", r, err)
	}

	// PUBLIC_DATA has no owner: both users read and write the same records.
	pub, err := alice.Create(ctx, "PUBLIC_DATA", map[string]any{"name": "colors", "value": map[string]any{"primary": "blue"}})
	if err != nil {
		t.Fatalf("create public data: %v", err)
	}
	if _, err := bob.Update(ctx, "PUBLIC_DATA", pub.ID(), map[string]any{"version": 2}); err != nil {
		t.Fatalf("bob updates public data: %v", err)
	}
	r, err := alice.Get(ctx, "PUBLIC_DATA", pub.ID())
	if err != nil {
		t.Fatalf("alice reads public data: %v", err)
	}
	if v, _ := r.Get("version").(int64); v != 2 || r.Get("user_id") != nil {
		t.Errorf("public data as alice sees it = %v; want version 2 and no user_id", r.Data())
	}
	f.checkTotal(t, "public data for bob", bob.Query("PUBLIC_DATA").Where("name", "colors").Where("version", 2), 1)
}

// crudQuery checks Where, WhereIn, OrderBy, Page and WithData against the
// pages crud created for alice (12 pages, statuses cycling over four).
func (f *flow) crudQuery(t *testing.T, alice *runtime.Handle, project string) {
	ctx := context.Background()
	// pending (0, 4, 8) and failed (7, 11; page 3 is now completed).
	var wantURLs []string
	for _, i := range []int{11, 8, 7, 4, 0} {
		wantURLs = append(wantURLs, pageURL("alice", i))
	}
	q := func() *runtime.Query {
		return alice.Query("PAGE").Where("project_id", project).WhereIn("status", "pending", "failed").OrderBy("url", runtime.Desc).Limit(2)
	}
	pages := []struct {
		page int
		want runtime.Pagination
	}{
		{1, runtime.Pagination{Total: 5, Limit: 2, Offset: 0, Page: 1, Pages: 3, HasNext: true}},
		{2, runtime.Pagination{Total: 5, Limit: 2, Offset: 2, Page: 2, Pages: 3, HasNext: true, HasPrev: true}},
		{3, runtime.Pagination{Total: 5, Limit: 2, Offset: 4, Page: 3, Pages: 3, HasPrev: true}},
	}
	var all []string
	for _, p := range pages {
		res, err := q().Page(p.page).WithData().List(ctx)
		if err != nil {
			t.Fatalf("query page %d: %v", p.page, err)
		}
		if d := cmp.Diff(p.want, res.Pagination); d != "" {
			t.Errorf("page %d pagination (-want +got):\n%s", p.page, d)
		}
		for _, row := range res.Data {
			all = append(all, row["url"].(string))
			if row["content"] != "<html>body of page</html>" {
				t.Errorf("WithData row has content %v, want the KV object's", row["content"])
			}
		}
	}
	if d := cmp.Diff(wantURLs, all); d != "" {
		t.Errorf("pages in order (-want +got):\n%s", d)
	}
	res, err := q().Page(1).List(ctx)
	if err != nil {
		t.Fatalf("query without data: %v", err)
	}
	if len(res.Data) != 2 || res.Data[0]["content"] != nil {
		t.Errorf("rows without WithData = %v; want 2 rows of D1 columns only", res.Data)
	}
	f.checkTotal(t, "pages in French", alice.Query("PAGE").Where("language", "fr"), 6)
	if _, err := alice.Query("PAGE").Where("content", "x").List(ctx); err == nil {
		t.Errorf("query on a field that is not a D1 column succeeded")
	}
}

func (f *flow) checkTotal(t *testing.T, what string, q *runtime.Query, want int64) {
	t.Helper()
	res, err := q.List(context.Background())
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if res.Pagination.Total != want {
		t.Errorf("%s: total %d, want %d", what, res.Pagination.Total, want)
	}
}
