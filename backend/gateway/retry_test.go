package gateway_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/gateway/gwtest"
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
