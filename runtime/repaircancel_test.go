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
