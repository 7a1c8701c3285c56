package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/backend/gateway/gwtest"
	"github.com/dmplan/dmplan/runtime"
)

func TestRetries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns := nsID(f, 0)
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE r (id TEXT PRIMARY KEY, n INTEGER)`}); err != nil {
		t.Fatal(err)
	}
	rows := func() int64 {
		res, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `SELECT count(*) FROM r`})
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	upsert := backend.Op{Kind: backend.OpD1Query, Stmt: backend.Stmt{
		SQL: `INSERT INTO r (id, n) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n`, Args: []any{"a", int64(1)}}}
	insert := backend.Op{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `INSERT INTO r (id, n) VALUES (?, ?)`, Args: []any{"b", int64(2)}}}
	marked := upsert
	marked.Stmt.Idempotent = true
	put := backend.Op{Kind: backend.OpKVPut, NS: ns, Entry: backend.Entry{Key: "r:a", Value: []byte("1")}}

	tests := []struct {
		name      string
		fault     gwtest.Fault
		ops       []backend.Op
		wantTrips int
		wantErr   error // nil: success
		wantRows  int64
	}{
		{"read after 503", gwtest.Fault{Status: 503, Count: 1}, []backend.Op{{Kind: backend.OpKVGet, NS: ns, Key: "x"}}, 2, nil, 0},
		{"read after a dropped answer", gwtest.Fault{Drop: true, Count: 1, After: true}, []backend.Op{{Kind: backend.OpKVList, NS: ns}}, 2, nil, 0},
		{"write after 429", gwtest.Fault{Status: 429, Count: 1}, []backend.Op{put, insert}, 2, nil, 1},
		{"unmarked write after a dropped answer", gwtest.Fault{Drop: true, Count: 1, After: true}, []backend.Op{put, upsert}, 1, backend.ErrOutcomeUnknown, 2},
		{"marked upsert after a dropped answer", gwtest.Fault{Drop: true, Count: 1, After: true}, []backend.Op{put, marked}, 2, nil, 2},
		{"unmarked write after 502", gwtest.Fault{Status: 502, Count: 1}, []backend.Op{put, upsert}, 1, backend.ErrOutcomeUnknown, 2},
		// Every attempt of a replayable write loses its answer (4 is the
		// default MaxAttempts): the write ran, so giving up must say the
		// outcome is unknown, not that it failed.
		{"marked upsert, every answer dropped", gwtest.Fault{Drop: true, Count: 4, After: true}, []backend.Op{put, marked}, 4, backend.ErrOutcomeUnknown, 2},
		{"kv put, 503 on every attempt", gwtest.Fault{Status: 503, Count: 4}, []backend.Op{put}, 4, backend.ErrOutcomeUnknown, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fault.Tenant = f.tenant.Index
			f.g.SetFault(t, tt.fault)
			var err error
			trips := f.count(func() { _, err = f.s.Pipeline(ctx, tt.ops) })
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Pipeline: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Pipeline: %v, want %v", err, tt.wantErr)
			}
			if trips != tt.wantTrips {
				t.Errorf("%d requests, want %d", trips, tt.wantTrips)
			}
			if got := rows(); got != tt.wantRows {
				t.Errorf("rows = %d, want %d", got, tt.wantRows)
			}
		})
	}
}

// Giving up on a read, or on a write that provably never ran (429 on every
// attempt), is a plain failure: only a write that may have run has an
// unknown outcome.
func TestRetriesExhaustedKnownOutcome(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns := nsID(f, 0)
	put := backend.Op{Kind: backend.OpKVPut, NS: ns, Entry: backend.Entry{Key: "k", Value: []byte("v")}}
	get := backend.Op{Kind: backend.OpKVGet, NS: ns, Key: "k"}
	tests := []struct {
		name  string
		fault gwtest.Fault
		ops   []backend.Op
	}{
		{"read, every answer dropped", gwtest.Fault{Drop: true, Count: 4, After: true}, []backend.Op{get}},
		{"read, 503 on every attempt", gwtest.Fault{Status: 503, Count: 4}, []backend.Op{get}},
		{"kv put, 429 on every attempt", gwtest.Fault{Status: 429, Count: 4}, []backend.Op{put}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fault.Tenant = f.tenant.Index
			f.g.SetFault(t, tt.fault)
			var err error
			trips := f.count(func() { _, err = f.s.Pipeline(ctx, tt.ops) })
			if err == nil || errors.Is(err, backend.ErrOutcomeUnknown) {
				t.Fatalf("Pipeline: %v, want a failure without ErrOutcomeUnknown", err)
			}
			if trips != 4 {
				t.Errorf("%d requests, want 4", trips)
			}
		})
	}
	if _, err := f.s.KV().Get(ctx, ns, "k"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("after 429s: kv get: %v; want nothing written", err)
	}
}

// A retry is logged without the secret.
func TestRetryLogHidesSecret(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	s, err := gateway.Open(context.Background(), gateway.Options{URL: f.tenant.URL, Secret: f.tenant.Secret,
		Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.g.SetFault(t, gwtest.Fault{Tenant: f.tenant.Index, Status: 503, Count: 1})
	if _, err := s.KV().List(context.Background(), nsID(f, 0), "", "", 0); err != nil {
		t.Fatalf("List after one 503: %v", err)
	}
	if !strings.Contains(buf.String(), "gateway retry") {
		t.Errorf("no retry logged: %s", buf.String())
	}
	if strings.Contains(buf.String(), f.tenant.Secret) {
		t.Errorf("the log shows the secret: %s", buf.String())
	}
}

// TestRuntimeWriteOutcomeUnknown: a save or delete whose one request (KV
// and D1 steps, both replayable) ran but lost its answer on every attempt
// is reported as a partial write naming the record, for `dmplan
// reconcile`, not as a failed KV write.
func TestRuntimeWriteOutcomeUnknown(t *testing.T) {
	f, h := openRuntime(t)
	ctx := context.Background()
	rec, err := h.Create(ctx, "NOTE", map[string]any{"title": "first"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault gwtest.Fault
		run   func() error
	}{
		{"save, every answer dropped", gwtest.Fault{Drop: true, After: true, Count: 4}, func() error {
			rec.Set("title", "lost")
			return rec.Save(ctx)
		}},
		{"save, 503 on every attempt", gwtest.Fault{Status: 503, Count: 4}, func() error {
			rec.Set("title", "unanswered")
			return rec.Save(ctx)
		}},
		{"delete, every answer dropped", gwtest.Fault{Drop: true, After: true, Count: 4}, func() error {
			return rec.Delete(ctx)
		}},
	}
	for _, tt := range tests {
		tt.fault.Tenant = f.tenant.Index
		f.g.SetFault(t, tt.fault)
		err := tt.run()
		var pw *runtime.PartialWriteError
		if !errors.As(err, &pw) || len(pw.IDs) != 1 || pw.IDs[0] != rec.ID() || !errors.Is(err, backend.ErrOutcomeUnknown) {
			t.Errorf("%s: err = %v, want a PartialWriteError naming %s and wrapping ErrOutcomeUnknown", tt.name, err, rec.ID())
		}
		if !strings.Contains(fmt.Sprint(err), "dmplan reconcile") {
			t.Errorf("%s: err = %v, want it to name dmplan reconcile", tt.name, err)
		}
	}
}
