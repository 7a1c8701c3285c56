package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// cancelOnRefusal is a backend whose D1 cancels the caller's context as
// soon as D1 refuses a row for a constraint (or reports a create's id
// taken): a client that hangs up while the request is in flight.
type cancelOnRefusal struct {
	backend.Backend
	cancel context.CancelFunc
}

func (c *cancelOnRefusal) D1() backend.D1 { return &cancelD1{c.Backend.D1(), c} }

type cancelD1 struct {
	backend.D1
	c *cancelOnRefusal
}

func (d *cancelD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	res, err := d.D1.Query(ctx, st)
	if errors.Is(err, backend.ErrConstraint) || (err == nil && res.Changes == 0 && st.Args != nil && len(st.SQL) > 6 && st.SQL[:6] == "INSERT") {
		d.c.cancel()
	}
	return res, err
}

func (d *cancelD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	res, err := d.D1.Batch(ctx, sts)
	if errors.Is(err, backend.ErrConstraint) {
		d.c.cancel()
	}
	return res, err
}

// TestRepairSurvivesCancel: a refused write whose caller's context ends
// while D1 refuses the row (a client hanging up) still puts KV back: the
// repair runs to its end, so the caller gets the ConstraintError, KV holds
// what it held before, and the next save of the record is not refused for
// the abandoned write's value.
func TestRepairSurvivesCancel(t *testing.T) {
	tests := []struct {
		name  string
		write func(ctx context.Context, h *runtime.Handle) error
	}{
		{"create", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.Create(ctx, "PROJECT", map[string]any{"project_id": "c1", "name": "dup", "slug": "a"})
			return err
		}},
		{"update", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.Update(ctx, "PROJECT", "b1", map[string]any{"slug": "a", "name": "renamed"})
			return err
		}},
		{"create many", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.CreateMany(ctx, "PROJECT", []map[string]any{
				{"project_id": "c1", "slug": "c"},
				{"project_id": "d1", "slug": "a"},
			})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, store, spec, _ := slugStore(t)
			ns := nsIDOf(t, ctx, store, spec, "PROJECT")
			before := kvContents(t, ctx, store, ns)
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ds, err := runtime.Open(ctx, spec, &cancelOnRefusal{Backend: store, cancel: cancel})
			if err != nil {
				t.Fatal(err)
			}
			h := ds.System()
			err = tt.write(wctx, h)
			var ce *runtime.ConstraintError
			if !errors.As(err, &ce) || errors.Is(err, runtime.ErrPartialWrite) {
				t.Fatalf("err = %v, want a *ConstraintError, not a partial write", err)
			}
			if d := cmp.Diff(before, kvContents(t, ctx, store, ns)); d != "" {
				t.Errorf("KV after the refused write (-before +after):\n%s", d)
			}
			if _, err := h.Update(ctx, "PROJECT", "b1", map[string]any{"name": "later"}); err != nil {
				t.Errorf("the next save of b1: %v", err)
			}
		})
	}
}

// TestTakenCreateSurvivesCancel: a create whose chosen id another write
// took in D1 (here: a row KV does not know, as another process's create
// leaves it while its KV write lags) takes its KV write back even when
// the caller's context ends at that moment.
func TestTakenCreateSurvivesCancel(t *testing.T) {
	ctx, store, spec, _ := slugStore(t)
	ns := nsIDOf(t, ctx, store, spec, "PROJECT")
	if _, err := store.D1().Query(ctx, backend.Stmt{SQL: `INSERT INTO projects (project_id, name, slug) VALUES ('t1', 'theirs', 't')`}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ds, err := runtime.Open(ctx, spec, &cancelOnRefusal{Backend: store, cancel: cancel})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ds.System().Create(wctx, "PROJECT", map[string]any{"project_id": "t1", "name": "mine", "slug": "m"})
	if !errors.Is(err, runtime.ErrConflict) || errors.Is(err, runtime.ErrPartialWrite) {
		t.Fatalf("err = %v, want ErrConflict, not a partial write", err)
	}
	e, err := store.KV().Get(ctx, ns, "project:t1")
	if err != nil {
		t.Fatalf("KV of t1: %v", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(e.Value, &obj); err != nil || obj["name"] != "theirs" {
		t.Errorf("KV of t1 = %s (%v), want the D1 row's record", e.Value, err)
	}
}

// cancelAfterKV is a backend whose KV cancels the caller's context right
// after a write took effect: a client hanging up between a save's KV
// step and its D1 step.
type cancelAfterKV struct {
	backend.Backend
	cancel context.CancelFunc
}

func (c *cancelAfterKV) KV() backend.KV { return &cancelKV{c.Backend.KV(), c.cancel} }

type cancelKV struct {
	backend.KV
	cancel context.CancelFunc
}

func (k *cancelKV) Put(ctx context.Context, ns string, e backend.Entry) error {
	err := k.KV.Put(ctx, ns, e)
	k.cancel()
	return err
}

func (k *cancelKV) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	err := k.KV.PutMany(ctx, ns, es)
	k.cancel()
	return err
}

func (k *cancelKV) Delete(ctx context.Context, ns, key string) error {
	err := k.KV.Delete(ctx, ns, key)
	k.cancel()
	return err
}

// TestSaveFinishesAfterKV: once a write's KV step took effect, a caller
// whose context ends (a client hanging up) does not leave it half done:
// the D1 step runs, so a save is complete (not a partial write), and a
// save D1 refuses is taken back (not left in KV for a person to decide).
func TestSaveFinishesAfterKV(t *testing.T) {
	tests := []struct {
		name     string
		write    func(ctx context.Context, h *runtime.Handle) error
		conflict bool
	}{
		{"create", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.Create(ctx, "PROJECT", map[string]any{"project_id": "c1", "name": "new", "slug": "c"})
			return err
		}, false},
		{"create with a taken slug", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.Create(ctx, "PROJECT", map[string]any{"project_id": "c1", "name": "dup", "slug": "a"})
			return err
		}, true},
		{"update to a taken slug", func(ctx context.Context, h *runtime.Handle) error {
			r, err := h.Get(ctx, "PROJECT", "b1")
			if err != nil {
				return err
			}
			r.SetAll(map[string]any{"slug": "a", "name": "renamed"})
			return r.Save(ctx)
		}, true},
		{"create many", func(ctx context.Context, h *runtime.Handle) error {
			_, err := h.CreateMany(ctx, "PROJECT", []map[string]any{{"project_id": "c1", "slug": "c"}, {"project_id": "d1", "slug": "d"}})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, store, spec, sys := slugStore(t)
			ns := nsIDOf(t, ctx, store, spec, "PROJECT")
			before := kvContents(t, ctx, store, ns)
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ds, err := runtime.Open(ctx, spec, &cancelAfterKV{Backend: store, cancel: cancel})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.write(wctx, ds.System())
			if errors.Is(err, runtime.ErrPartialWrite) {
				t.Fatalf("err = %v, want the write finished", err)
			}
			if tt.conflict {
				var ce *runtime.ConstraintError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a *ConstraintError", err)
				}
				if d := cmp.Diff(before, kvContents(t, ctx, store, ns)); d != "" {
					t.Errorf("KV after the refused write (-before +after):\n%s", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			n, err := sys.Query("PROJECT").Count(ctx)
			if err != nil || n != int64(len(kvContents(t, ctx, store, ns))) {
				t.Errorf("D1 rows %d (%v), want one per KV object", n, err)
			}
		})
	}
}

// TestHardDeleteFinishesAfterKV: a hard delete whose caller gives up right
// after the KV delete still deletes the D1 row (no orphan row).
func TestHardDeleteFinishesAfterKV(t *testing.T) {
	e := setup(t)
	tok, err := e.ds.Auth("u1").Create(e.ctx, "TOKEN", map[string]any{"label": "x"})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	ds, err := runtime.Open(e.ctx, e.spec, &cancelAfterKV{Backend: e.store, cancel: cancel})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Auth("u1").Delete(wctx, "TOKEN", tok.ID()); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if n, err := e.ds.System().Query("TOKEN").Count(e.ctx); err != nil || n != 0 {
		t.Errorf("D1 rows after the delete: %d %v, want 0", n, err)
	}
}
