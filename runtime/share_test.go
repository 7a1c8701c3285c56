package runtime_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// rewriteKV overwrites the KV object of key as another writer (a Worker)
// would: decode, change, encode with encoding/json.
func (e *env) rewriteKV(t *testing.T, ns, key string, change func(map[string]any)) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(e.kvValue(t, ns, key), &obj); err != nil {
		t.Fatal(err)
	}
	change(obj)
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.KV().Put(e.ctx, e.nsID(t, ns), backend.Entry{Key: key, Value: b}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) kvObject(t *testing.T, ns, key string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(e.kvValue(t, ns, key), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestSharingThroughAuth: a record shared by adding a user to _auth (as a
// Worker does) keeps the entry through the owner's Go saves, the shared
// user may read it but not change it, and only the owner or System
// change the list.
func TestSharingThroughAuth(t *testing.T) {
	e := setup(t)
	alice, bob, carol := e.ds.Auth("alice"), e.ds.Auth("bob"), e.ds.Auth("carol")
	r, err := alice.Create(e.ctx, "PAGE", newPage("p1"))
	if err != nil {
		t.Fatal(err)
	}
	id, key := r.ID(), "page:"+r.ID()
	// A Worker shares the record with bob.
	e.rewriteKV(t, "PAGES", key, func(o map[string]any) { o["_auth"] = []any{"alice", "bob"} })

	// The owner's next save keeps bob.
	if _, err := alice.Update(e.ctx, "PAGE", id, map[string]any{"title": "edited"}); err != nil {
		t.Fatal(err)
	}
	if got := e.kvObject(t, "PAGES", key)["_auth"]; !cmp.Equal(got, []any{"alice", "bob"}) {
		t.Fatalf("after the owner's save _auth = %v, want [alice bob]", got)
	}

	// bob reads it, cannot change, delete or restore it; carol sees nothing.
	got, err := bob.Get(e.ctx, "PAGE", id)
	if err != nil || got.Get("title") != "edited" {
		t.Fatalf("bob reads the shared record: %v %v", got, err)
	}
	forbidden := map[string]func() error{
		"update": func() error { _, err := bob.Update(e.ctx, "PAGE", id, map[string]any{"title": "bob's"}); return err },
		"delete": func() error { return bob.Delete(e.ctx, "PAGE", id) },
		"save many": func() error {
			got.Set("title", "bulk")
			return bob.SaveMany(e.ctx, []*runtime.Record{got})
		},
		"share further": func() error {
			_, err := bob.Update(e.ctx, "PAGE", id, map[string]any{"_auth": []any{"alice", "bob", "carol"}})
			return err
		},
	}
	for name, do := range forbidden {
		if err := do(); !errors.Is(err, runtime.ErrForbidden) {
			t.Errorf("bob %s: err = %v, want ErrForbidden", name, err)
		}
	}
	if _, err := carol.Get(e.ctx, "PAGE", id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("carol reads: %v, want ErrNotFound", err)
	}
	// Queries filter on user_id (D1 has no _auth column): bob's list is
	// his own records only.
	if res, err := bob.Query("PAGE").List(e.ctx); err != nil || res.Pagination.Total != 0 {
		t.Errorf("bob lists %+v (%v)", res, err)
	}

	// The owner shares and unshares through Go.
	if _, err := alice.Update(e.ctx, "PAGE", id, map[string]any{"_auth": []any{"alice", "bob", "carol"}}); err != nil {
		t.Fatalf("owner shares: %v", err)
	}
	if _, err := carol.Get(e.ctx, "PAGE", id); err != nil {
		t.Errorf("carol after sharing: %v", err)
	}
	if _, err := alice.Update(e.ctx, "PAGE", id, map[string]any{"_auth": []string{"alice", "carol"}}); err != nil {
		t.Fatalf("owner unshares: %v", err)
	}
	if _, err := bob.Get(e.ctx, "PAGE", id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("bob after unsharing: %v, want ErrNotFound", err)
	}
	bad := map[string]any{
		"without the owner": []any{"carol"},
		"not strings":       []any{"alice", 7},
		"empty id":          []any{"alice", ""},
		"not an array":      "alice",
	}
	for name, v := range bad {
		if _, err := alice.Update(e.ctx, "PAGE", id, map[string]any{"_auth": v}); !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), "_auth") {
			t.Errorf("_auth %s: err = %v, want ErrInvalid naming _auth", name, err)
		}
	}

	// A reassign by System hands the owner's place to the new owner.
	if _, err := e.ds.System().Update(e.ctx, "PAGE", id, map[string]any{"user_id": "dave"}); err != nil {
		t.Fatal(err)
	}
	if got := e.kvObject(t, "PAGES", key)["_auth"]; !cmp.Equal(got, []any{"dave", "carol"}) {
		t.Errorf("after reassign _auth = %v, want [dave carol]", got)
	}

	// A creator may share at once; the list must name the owner.
	r2, err := alice.Create(e.ctx, "PAGE", map[string]any{"project_id": "p", "url": "https://example.com/y", "_auth": []any{"alice", "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Get(e.ctx, "PAGE", r2.ID()); err != nil {
		t.Errorf("bob reads a record shared at create: %v", err)
	}
	if _, err := alice.Create(e.ctx, "PAGE", map[string]any{"project_id": "p", "url": "https://example.com/z", "_auth": []any{"bob"}}); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("create with an _auth that omits the owner: %v, want ErrInvalid", err)
	}
}

// TestUntouchedValuesKeepTheirForm: a Go update keeps the values it did
// not change exactly as another writer stored them (a timestamp without
// milliseconds or in another offset), and D1 gets their canonical form.
func TestUntouchedValuesKeepTheirForm(t *testing.T) {
	e := setup(t)
	alice := e.ds.Auth("alice")
	p := newPage("p1")
	p["last_processed"] = "2026-01-01T10:00:05.000Z"
	r, err := alice.Create(e.ctx, "PAGE", p)
	if err != nil {
		t.Fatal(err)
	}
	id, key := r.ID(), "page:"+r.ID()
	e.rewriteKV(t, "PAGES", key, func(o map[string]any) {
		o["last_processed"] = "2026-01-01T12:00:05+02:00"
		o["created_at"] = "2026-01-01T09:00:00Z"
	})
	if _, err := alice.Update(e.ctx, "PAGE", id, map[string]any{"title": "edited"}); err != nil {
		t.Fatalf("update of a record another writer wrote: %v", err)
	}
	obj := e.kvObject(t, "PAGES", key)
	if obj["last_processed"] != "2026-01-01T12:00:05+02:00" || obj["created_at"] != "2026-01-01T09:00:00Z" {
		t.Errorf("untouched timestamps rewritten in KV: last_processed %v, created_at %v", obj["last_processed"], obj["created_at"])
	}
	row := e.d1Row(t, "page_meta", "page_id", id)
	if row["last_processed"] != "2026-01-01T10:00:05.000Z" || row["created_at"] != "2026-01-01T09:00:00.000Z" {
		t.Errorf("D1 timestamps not canonical: last_processed %v, created_at %v", row["last_processed"], row["created_at"])
	}
	// Setting the same instant in another form is no change of a
	// read-only field.
	if _, err := alice.Update(e.ctx, "PAGE", id, map[string]any{"created_at": "2026-01-01T10:00:00+01:00", "title": "again"}); err != nil {
		t.Errorf("the same created_at in another offset: %v", err)
	}
}

// TestObjectUnderAnotherKeyIsRefused: an object whose primary key names
// another id than its KV key (a copy under the wrong key) is refused by
// Get and by a hydrated query, naming the key, as reconcile reports it;
// it is never read as if it were the key's record.
func TestObjectUnderAnotherKeyIsRefused(t *testing.T) {
	e := setup(t)
	alice := e.ds.Auth("alice")
	r, err := alice.Create(e.ctx, "PAGE", newPage("p1"))
	if err != nil {
		t.Fatal(err)
	}
	e.rewriteKV(t, "PAGES", "page:"+r.ID(), func(o map[string]any) { o["page_id"] = "someone-else" })
	if _, err := alice.Get(e.ctx, "PAGE", r.ID()); err == nil || !strings.Contains(err.Error(), "KV key page:"+r.ID()) {
		t.Errorf("Get: %v, want an error naming the key", err)
	}
	if _, err := alice.Query("PAGE").WithData().List(e.ctx); err == nil || !strings.Contains(err.Error(), "KV key page:"+r.ID()) {
		t.Errorf("WithData: %v, want an error naming the key", err)
	}
}
