package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
	"github.com/dmplan/dmplan/backend/gateway"
)

// A write whose context is cancelled while its request is in flight may
// have run: its error wraps backend.ErrOutcomeUnknown and the context's
// error. A read, or a write cancelled before it was sent, is not unknown.
func TestCancelledInFlight(t *testing.T) {
	g := newFixture(t)
	ct := &backendtest.CancelInFlight{}
	s, err := gateway.Open(context.Background(), gateway.Options{URL: g.tenant.URL, Secret: g.tenant.Secret, HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatalf("gateway.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	bg := context.Background()
	ns := nsID(g, 0)
	if _, err := s.D1().Query(bg, backend.Stmt{SQL: `CREATE TABLE c (id TEXT PRIMARY KEY)`}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		inFlight    bool // cancel while in flight (else before the call)
		run         func(ctx context.Context) error
		wantUnknown bool
	}{
		{"kv put", true, func(ctx context.Context) error {
			return s.KV().Put(ctx, ns, backend.Entry{Key: "put", Value: []byte("v")})
		}, true},
		{"kv delete", true, func(ctx context.Context) error { return s.KV().Delete(ctx, ns, "put") }, true},
		{"kv bulk put", true, func(ctx context.Context) error {
			return s.KV().PutMany(ctx, ns, []backend.Entry{{Key: "b1", Value: []byte("1")}, {Key: "b2", Value: []byte("2")}})
		}, true},
		{"d1 insert", true, func(ctx context.Context) error {
			_, err := s.D1().Query(ctx, backend.Stmt{SQL: `INSERT INTO c VALUES (?)`, Args: []any{"x"}})
			return err
		}, true},
		{"pipeline with a write", true, func(ctx context.Context) error {
			_, err := s.Pipeline(ctx, []backend.Op{
				{Kind: backend.OpKVGet, NS: ns, Key: "b1"},
				{Kind: backend.OpKVPut, NS: ns, Entry: backend.Entry{Key: "p", Value: []byte("v")}},
			})
			return err
		}, true},
		{"kv get", true, func(ctx context.Context) error { _, err := s.KV().Get(ctx, ns, "b1"); return err }, false},
		{"d1 select", true, func(ctx context.Context) error {
			_, err := s.D1().Query(ctx, backend.Stmt{SQL: `SELECT * FROM c`})
			return err
		}, false},
		{"kv put cancelled before the call", false, func(ctx context.Context) error {
			return s.KV().Put(ctx, ns, backend.Entry{Key: "never", Value: []byte("v")})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			if tt.inFlight {
				ct.Arm(cancel)
			} else {
				cancel()
			}
			err := tt.run(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if got := errors.Is(err, backend.ErrOutcomeUnknown); got != tt.wantUnknown {
				t.Errorf("err = %v: wraps ErrOutcomeUnknown = %v, want %v", err, got, tt.wantUnknown)
			}
		})
	}
	// The cancelled writes ran; the one cancelled before the call did not.
	if e, err := s.KV().Get(bg, ns, "b2"); err != nil || string(e.Value) != "2" {
		t.Errorf("kv get b2 = %v, %v; want the cancelled bulk put applied", e, err)
	}
	if _, err := s.KV().Get(bg, ns, "never"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("kv get never: %v; want ErrKeyNotFound", err)
	}
}

// A Save whose caller cancels while its request (KV put and D1 upsert) is
// in flight is not left half done: the runtime finishes a dual write once
// its KV request is sent, so the Save succeeds and the record is stored.
func TestRuntimeSaveCancelledInFlight(t *testing.T) {
	f, h := openRuntime(t)
	bg := context.Background()
	warm := h.New("NOTE")
	warm.Set("title", "warm up")
	if err := warm.Save(bg); err != nil {
		t.Fatal(err)
	}
	ct := &backendtest.CancelInFlight{Next: f.trips.next}
	f.trips.next = ct
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	r := h.New("NOTE")
	r.Set("title", "cancelled")
	ct.Arm(cancel)
	if err := r.Save(ctx); err != nil {
		t.Fatalf("Save cancelled in flight: %v, want the write finished", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the caller's context was not cancelled: the test did not run as meant")
	}
	got, err := h.Get(bg, "NOTE", r.ID())
	if err != nil || got.Get("title") != "cancelled" {
		t.Errorf("Get after the save: %v, %v; want title cancelled", got, err)
	}
}
