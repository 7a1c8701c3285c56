package runtime_test

import (
	"errors"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// TestChosenIDCreateRetryRepairs: a create with a caller-chosen id whose D1
// step failed (a partial write) is repaired by saving the same record
// again, as with a generated id: its own KV object is not "id taken".
// Also in bulk.
func TestChosenIDCreateRetryRepairs(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	fb.d1.fail = errors.New("d1 overloaded")
	r := u.New("PAGE")
	r.SetAll(newPage("p"))
	r.Set("page_id", "chosen-1")
	err := r.Save(e.ctx)
	var pw *runtime.PartialWriteError
	if !errors.As(err, &pw) {
		t.Fatalf("err = %v, want a partial write", err)
	}
	fb.d1.fail = nil
	if err := r.Save(e.ctx); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if e.d1Row(t, "page_meta", "page_id", "chosen-1") == nil {
		t.Error("retry did not write the D1 row")
	}
	if got, err := u.Get(e.ctx, "PAGE", "chosen-1"); err != nil || got.Get("project_id") != "p" {
		t.Errorf("get after the retry: %v", err)
	}

	fb.d1.fail = errors.New("d1 overloaded")
	a, b := newPage("p"), newPage("q")
	a["page_id"], b["page_id"] = "chosen-2", "chosen-3"
	recs, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{a, b})
	if !errors.As(err, &pw) || len(recs) != 2 {
		t.Fatalf("bulk: err = %v, want a partial write", err)
	}
	fb.d1.fail = nil
	if err := u.SaveMany(e.ctx, recs); err != nil {
		t.Fatalf("bulk retry: %v", err)
	}
	for _, id := range []string{"chosen-2", "chosen-3"} {
		if e.d1Row(t, "page_meta", "page_id", id) == nil {
			t.Errorf("bulk retry did not write %s", id)
		}
	}

	// Another create of a chosen id that this record's failed create
	// holds in KV is still refused.
	fb.d1.fail = errors.New("d1 overloaded")
	r = u.New("PAGE")
	r.SetAll(newPage("p"))
	r.Set("page_id", "chosen-4")
	if err := r.Save(e.ctx); !errors.As(err, &pw) {
		t.Fatalf("err = %v, want a partial write", err)
	}
	fb.d1.fail = nil
	other := u.New("PAGE")
	other.SetAll(newPage("z"))
	other.Set("page_id", "chosen-4")
	if err := other.Save(e.ctx); !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("another create of chosen-4: %v, want ErrConflict", err)
	}
}
