package cloudflare

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
)

// A write whose context is cancelled while its request is in flight may
// have run: its error wraps backend.ErrOutcomeUnknown and the context's
// error. A read, or a write cancelled before it was sent, is not unknown.
func TestCancelledInFlight(t *testing.T) {
	t.Parallel()
	ct := &backendtest.CancelInFlight{}
	f := newFixtureClient(t, &http.Client{Transport: ct})
	bg := context.Background()
	ns, err := f.s.KV().CreateNamespace(bg, "cancelled")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.D1().Query(bg, backend.Stmt{SQL: "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)"}); err != nil {
		t.Fatal(err)
	}
	insert := func(ctx context.Context, v string, marked bool) error {
		_, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "INSERT OR REPLACE INTO items (id, v) VALUES (1, ?)", Args: []any{v}, Idempotent: marked})
		return err
	}
	tests := []struct {
		name        string
		inFlight    bool // cancel while in flight (else before the call)
		run         func(ctx context.Context) error
		wantUnknown bool
	}{
		{"kv put", true, func(ctx context.Context) error {
			return f.s.KV().Put(ctx, ns.ID, backend.Entry{Key: "put", Value: []byte("v")})
		}, true},
		{"kv delete", true, func(ctx context.Context) error { return f.s.KV().Delete(ctx, ns.ID, "put") }, true},
		{"kv bulk put", true, func(ctx context.Context) error {
			return f.s.KV().PutMany(ctx, ns.ID, []backend.Entry{{Key: "b1", Value: []byte("1")}, {Key: "b2", Value: []byte("2")}})
		}, true},
		{"d1 write, not marked idempotent", true, func(ctx context.Context) error { return insert(ctx, "a", false) }, true},
		{"d1 write, marked idempotent", true, func(ctx context.Context) error { return insert(ctx, "b", true) }, true},
		{"kv get", true, func(ctx context.Context) error { _, err := f.s.KV().Get(ctx, ns.ID, "b1"); return err }, false},
		{"d1 select", true, func(ctx context.Context) error {
			_, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "SELECT * FROM items"})
			return err
		}, false},
		{"kv put cancelled before the call", false, func(ctx context.Context) error {
			return f.s.KV().Put(ctx, ns.ID, backend.Entry{Key: "never", Value: []byte("v")})
		}, false},
		{"d1 write cancelled before the call", false, func(ctx context.Context) error { return insert(ctx, "never", false) }, false},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithCancel(bg)
		if tt.inFlight {
			ct.Arm(cancel)
		} else {
			cancel()
		}
		err := tt.run(ctx)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", tt.name, err)
			continue
		}
		if got := errors.Is(err, backend.ErrOutcomeUnknown); got != tt.wantUnknown {
			t.Errorf("%s: err = %v: wraps ErrOutcomeUnknown = %v, want %v", tt.name, err, got, tt.wantUnknown)
		}
	}
	// The cancelled writes ran; those cancelled before the call did not.
	if e, err := f.s.KV().Get(bg, ns.ID, "b2"); err != nil || string(e.Value) != "2" {
		t.Errorf("kv get b2 = %v, %v; want the cancelled bulk put applied", e, err)
	}
	if _, err := f.s.KV().Get(bg, ns.ID, "never"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("kv get never: %v; want ErrKeyNotFound", err)
	}
	if n := count(t, f, "b"); n != 1 {
		t.Errorf("%d rows hold the cancelled marked write, want 1", n)
	}
	if n := count(t, f, "never"); n != 0 {
		t.Errorf("%d rows hold the write cancelled before the call, want 0", n)
	}
}

// A Save whose caller cancels while its KV put is in flight is not left
// half done: the runtime finishes a dual write once its KV request is sent
// (repairContext), so the put's request is not cancelled, the Save
// succeeds, and KV and D1 both hold the new value.
func TestRuntimeSaveCancelledInFlight(t *testing.T) {
	t.Parallel()
	ct := &backendtest.CancelInFlight{}
	f := newFixtureClient(t, &http.Client{Transport: ct})
	ds := openRuntimeOn(t, f, retrySpec)
	bg := context.Background()
	rec, err := ds.System().Create(bg, "NOTE", map[string]any{"title": "first"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	rec.Set("title", "cancelled")
	ct.Arm(cancel)
	if err := rec.Save(ctx); err != nil {
		t.Fatalf("Save cancelled in flight: %v, want the write finished", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the caller's context was not cancelled: the test did not run as meant")
	}
	got, err := ds.System().Get(bg, "NOTE", rec.ID())
	if err != nil || got.Get("title") != "cancelled" {
		t.Errorf("Get after the save: %v, %v; want title cancelled", got, err)
	}
	res, err := f.s.D1().Query(bg, backend.Stmt{SQL: "SELECT count(*) FROM note WHERE title = 'cancelled'"})
	if err != nil || res.Rows[0][0].(int64) != 1 {
		t.Errorf("D1 rows with the new title: %v, %v; want 1", res, err)
	}
}
