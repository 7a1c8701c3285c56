package runtime_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

// TestRoundTrips counts store calls: Save is one KV put and one D1
// statement, Get one KV read, a page with its total one D1 request, and
// WithData one bulk KV read more.
func TestRoundTrips(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	seedPages(t, e, "u1", "p", 30)
	type counts struct{ KVPut, KVGet, KVGetMany, D1Query, D1Batch int }
	snap := func() counts {
		return counts{fb.kv.puts, fb.kv.gets, fb.kv.getManys, fb.d1.queries, fb.d1.batchs}
	}
	delta := func(a, b counts) counts {
		return counts{b.KVPut - a.KVPut, b.KVGet - a.KVGet, b.KVGetMany - a.KVGetMany, b.D1Query - a.D1Query, b.D1Batch - a.D1Batch}
	}
	var id string
	steps := []struct {
		name string
		do   func() error
		want counts
	}{
		{"save new", func() error {
			r, err := u.Create(e.ctx, "PAGE", newPage("p"))
			if err == nil {
				id = r.ID()
			}
			return err
		}, counts{KVPut: 1, D1Query: 1}},
		{"get", func() error { _, err := u.Get(e.ctx, "PAGE", id); return err }, counts{KVGet: 1}},
		// The first run of a query shape reads its plan (index advice) in
		// the same request: a batch of the EXPLAIN and the query.
		{"first page and total", func() error { _, err := u.Query("PAGE").Page(2).List(e.ctx); return err }, counts{D1Batch: 1}},
		{"page and total", func() error { _, err := u.Query("PAGE").Page(1).List(e.ctx); return err }, counts{D1Query: 1}},
		{"page with data", func() error { _, err := u.Query("PAGE").WithData().List(e.ctx); return err }, counts{D1Query: 1, KVGetMany: 1}},
		{"update", func() error {
			_, err := u.Update(e.ctx, "PAGE", id, map[string]any{"title": "new"})
			return err
		}, counts{KVGet: 1, KVPut: 1, D1Query: 1}},
	}
	for _, s := range steps {
		before := snap()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if d := cmp.Diff(s.want, delta(before, snap())); d != "" {
			t.Errorf("%s round trips (-want +got):\n%s", s.name, d)
		}
	}
}

func TestAccessors(t *testing.T) {
	e := setup(t)
	if d := cmp.Diff([]string{"ITEM", "NOTE", "PAGE", "PUBLIC", "TOKEN"}, e.ds.Models()); d != "" {
		t.Errorf("Models (-want +got):\n%s", d)
	}
	if e.ds.Spec() != e.spec {
		t.Error("Spec")
	}
	u, sys := e.ds.Auth("u1"), e.ds.System()
	if u.UserID() != "u1" || !u.Scoped() || sys.UserID() != "" || sys.Scoped() {
		t.Error("handle accessors")
	}
	r, err := u.Create(e.ctx, "PUBLIC", map[string]any{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"public_id": r.ID(), "name": "x", "created_at": "2026-11-27T14:50:08.123Z",
		"updated_at": "2026-11-27T14:50:08.123Z", "deleted_at": nil}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("MarshalJSON (-want +got):\n%s", d)
	}
	if runtime.FormatTime(e.clock.Now()) != "2026-11-27T14:50:08.123Z" {
		t.Error("FormatTime")
	}
}
