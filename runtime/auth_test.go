package runtime_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

func TestAuthIsolation(t *testing.T) {
	e := setup(t)
	alice, bob := e.ds.Auth("alice"), e.ds.Auth("bob")
	r, err := alice.Create(e.ctx, "PAGE", newPage("p1"))
	if err != nil {
		t.Fatal(err)
	}
	id := r.ID()
	notFound := []struct {
		name string
		do   func() error
	}{
		{"get", func() error { _, err := bob.Get(e.ctx, "PAGE", id); return err }},
		{"get including deleted", func() error { _, err := bob.Get(e.ctx, "PAGE", id, runtime.IncludingDeleted()); return err }},
		{"load", func() error { return bob.New("PAGE").Load(e.ctx, id) }},
		{"update", func() error { _, err := bob.Update(e.ctx, "PAGE", id, map[string]any{"title": "mine"}); return err }},
		{"delete", func() error { return bob.Delete(e.ctx, "PAGE", id) }},
		{"restore", func() error { return bob.Restore(e.ctx, "PAGE", id) }},
		{"save many of alice's record", func() error {
			r.Set("title", "via bob")
			defer r.Set("title", "T")
			return bob.SaveMany(e.ctx, []*runtime.Record{r})
		}},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, runtime.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	}
	// A new record with alice's id is a conflict, never an overwrite.
	p := newPage("p1")
	p["page_id"] = id
	if _, err := bob.Create(e.ctx, "PAGE", p); !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("bob creating alice's id: %v", err)
	}
	res, err := bob.Query("PAGE").IncludeDeleted().List(e.ctx)
	if err != nil || res.Pagination.Total != 0 {
		t.Errorf("bob lists %v (%v)", res, err)
	}
	got, err := alice.Get(e.ctx, "PAGE", id)
	if err != nil || got.Get("title") != "T" {
		t.Errorf("alice's record changed: %v %v", got, err)
	}
	// System sees everything.
	if _, err := e.ds.System().Get(e.ctx, "PAGE", id); err != nil {
		t.Errorf("system get: %v", err)
	}
}

func TestSharedAndAuthOnlyModels(t *testing.T) {
	e := setup(t)
	alice, bob := e.ds.Auth("alice"), e.ds.Auth("bob")
	pub, err := alice.Create(e.ctx, "PUBLIC", map[string]any{"name": "shared"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Update(e.ctx, "PUBLIC", pub.ID(), map[string]any{"name": "edited"}); err != nil {
		t.Fatalf("bob edits a shared record: %v", err)
	}
	res, err := bob.Query("PUBLIC").List(e.ctx)
	if err != nil || res.Pagination.Total != 1 || res.Data[0]["name"] != "edited" {
		t.Fatalf("bob lists shared: %+v %v", res, err)
	}
	if _, ok := pub.Data()["_auth"]; ok {
		t.Error("a model without auth got an _auth array")
	}

	note, err := alice.Create(e.ctx, "NOTE", map[string]any{"text": "private"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(note.Get("_auth")) != "[alice]" {
		t.Errorf("_auth = %v", note.Get("_auth"))
	}
	if _, err := bob.Get(e.ctx, "NOTE", note.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("bob reads alice's note: %v", err)
	}
	if _, err := alice.Get(e.ctx, "NOTE", note.ID()); err != nil {
		t.Errorf("alice reads her note: %v", err)
	}
	if _, err := alice.Update(e.ctx, "NOTE", note.ID(), map[string]any{"_auth": []any{"alice", "bob"}, "text": "x"}); !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), "_auth: is read-only") {
		t.Fatalf("a scoped handle sets _auth: err = %v, want _auth read-only", err)
	}
	if _, err := bob.Get(e.ctx, "NOTE", note.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("a scoped handle widened _auth: %v", err)
	}
}

// TestAuthIsolationProperty runs random operations of several users on
// their own and each other's records and checks that no user ever reads,
// lists, changes, deletes or restores another user's record.
func TestAuthIsolationProperty(t *testing.T) {
	e := setup(t)
	rng := rand.New(rand.NewPCG(1, 2))
	users := []string{"u0", "u1", "u2", "u3", "u4"}
	type rec struct {
		owner, title string
		deleted      bool
	}
	truth := map[string]*rec{}
	var ids []string
	for step := 0; step < 1500; step++ {
		actor := users[rng.IntN(len(users))]
		h := e.ds.Auth(actor)
		if len(ids) == 0 || rng.IntN(5) == 0 {
			title := fmt.Sprintf("s%d", step)
			r, err := h.Create(e.ctx, "PAGE", map[string]any{"project_id": "p", "url": "https://e.com", "title": title})
			if err != nil {
				t.Fatal(err)
			}
			truth[r.ID()] = &rec{owner: actor, title: title}
			ids = append(ids, r.ID())
			continue
		}
		id := ids[rng.IntN(len(ids))]
		want := truth[id]
		mine := want.owner == actor
		var err error
		switch rng.IntN(7) {
		case 0:
			var r *runtime.Record
			r, err = h.Get(e.ctx, "PAGE", id)
			if err == nil && (!mine || want.deleted || r.Get("title") != want.title || r.Get("user_id") != actor) {
				t.Fatalf("step %d: %s read %s owned by %s: %v", step, actor, id, want.owner, r.Data())
			}
		case 1:
			title := fmt.Sprintf("u%d", step)
			_, err = h.Update(e.ctx, "PAGE", id, map[string]any{"title": title})
			if err == nil {
				if !mine || want.deleted {
					t.Fatalf("step %d: %s updated %s owned by %s", step, actor, id, want.owner)
				}
				want.title = title
			}
		case 2:
			err = h.Delete(e.ctx, "PAGE", id)
			if err == nil {
				if !mine || want.deleted {
					t.Fatalf("step %d: %s deleted %s owned by %s", step, actor, id, want.owner)
				}
				want.deleted = true
			}
		case 3:
			err = h.Restore(e.ctx, "PAGE", id)
			if err == nil {
				if !mine {
					t.Fatalf("step %d: %s restored %s owned by %s", step, actor, id, want.owner)
				}
				want.deleted = false
			}
		case 4:
			var res *runtime.Result
			res, err = h.Query("PAGE").IncludeDeleted().Limit(1000).WithData().List(e.ctx)
			if err == nil {
				for _, d := range res.Data {
					if d["user_id"] != actor || truth[d["page_id"].(string)].owner != actor {
						t.Fatalf("step %d: %s listed %v", step, actor, d)
					}
				}
				n := 0
				for _, r := range truth {
					if r.owner == actor {
						n++
					}
				}
				if res.Pagination.Total != int64(n) {
					t.Fatalf("step %d: %s total %d, owns %d", step, actor, res.Pagination.Total, n)
				}
			}
		case 5:
			// A record loaded by the system handle, changed and saved in
			// bulk by the actor.
			var r *runtime.Record
			r, err = e.ds.System().Get(e.ctx, "PAGE", id, runtime.IncludingDeleted())
			if err != nil {
				t.Fatal(err)
			}
			title := fmt.Sprintf("m%d", step)
			r.Set("title", title)
			err = h.SaveMany(e.ctx, []*runtime.Record{r})
			if err == nil {
				if !mine {
					t.Fatalf("step %d: %s bulk-saved %s owned by %s", step, actor, id, want.owner)
				}
				want.title = title
			}
			if mine && err != nil {
				t.Fatalf("step %d: own bulk save: %v", step, err)
			}
			err = nil
		case 6:
			var res *runtime.Result
			res, err = h.Query("PAGE").Where("user_id", want.owner).Where("page_id", id).IncludeDeleted().List(e.ctx)
			if err == nil && res.Pagination.Total != 0 && !mine {
				t.Fatalf("step %d: %s queried %s of %s", step, actor, id, want.owner)
			}
		}
		if err != nil && !errors.Is(err, runtime.ErrNotFound) {
			t.Fatalf("step %d: unexpected error %v", step, err)
		}
		if err != nil && mine && !want.deleted {
			t.Fatalf("step %d: %s denied own record %s: %v", step, actor, id, err)
		}
	}
	// Final state matches the model of the world, store by store.
	sys := e.ds.System()
	for id, want := range truth {
		r, err := sys.Get(e.ctx, "PAGE", id, runtime.IncludingDeleted())
		if err != nil {
			t.Fatal(err)
		}
		if r.Get("user_id") != want.owner || r.Get("title") != want.title || r.IsDeleted() != want.deleted {
			t.Fatalf("%s: stored %v, want %+v", id, r.Data(), want)
		}
		row := e.d1Row(t, "page_meta", "page_id", id)
		if row["user_id"] != want.owner || row["title"] != want.title || (row["deleted_at"] != nil) != want.deleted {
			t.Fatalf("%s: D1 row %v, want %+v", id, row, want)
		}
	}
}
