package runtime_test

import (
	"errors"
	"testing"

	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/runtime"
)

// TestSaveManyKVFailureWritesNothing: a SaveMany of records of several
// models whose KV bulk put fails for a later model takes back the KV
// writes of the earlier models (no D1 row was written), so a KV failure
// means nothing written, as for one Save: no record is left readable from
// KV without its D1 row, and an update is back to its stored object.
func TestSaveManyKVFailureWritesNothing(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	old, err := u.Create(e.ctx, "PAGE", newPage("old"))
	if err != nil {
		t.Fatal(err)
	}
	fb := faulty.Wrap(e.store)
	ds, err := runtime.Open(e.ctx, e.spec, fb)
	if err != nil {
		t.Fatal(err)
	}
	fu := ds.Auth("u1")
	a := fu.New("PAGE")
	a.SetAll(newPage("p"))
	upd, err := fu.Get(e.ctx, "PAGE", old.ID())
	if err != nil {
		t.Fatal(err)
	}
	upd.Set("title", "changed")
	b := fu.New("TOKEN")
	b.Set("label", "x")
	fb.FailNth(faulty.KVPutMany, 2) // the TOKEN put, after the PAGE put
	err = fu.SaveMany(e.ctx, []*runtime.Record{a, upd, b})
	if err == nil || errors.Is(err, runtime.ErrPartialWrite) {
		t.Fatalf("err = %v, want the KV failure, not a partial write", err)
	}
	if _, err := u.Get(e.ctx, "PAGE", a.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("the new PAGE after the failed SaveMany: %v, want ErrNotFound", err)
	}
	if r, err := u.Get(e.ctx, "PAGE", old.ID()); err != nil || r.Get("title") != "T" {
		t.Errorf("the updated PAGE after the failed SaveMany: %v %v, want its stored title", err, r.Data())
	}
	if _, err := u.Get(e.ctx, "TOKEN", b.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("the TOKEN after the failed SaveMany: %v, want ErrNotFound", err)
	}
}
