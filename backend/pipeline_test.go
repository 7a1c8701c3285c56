package backend_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
)

// RunOps on a backend without Pipeline runs the calls one by one with the
// pipeline's semantics.
func TestRunOpsFallback(t *testing.T) {
	ctx := context.Background()
	b, err := local.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ns, err := b.KV().CreateNamespace(ctx, "pipeline-test")
	if err != nil {
		t.Fatal(err)
	}
	res, err := backend.RunOps(ctx, b, []backend.Op{
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `CREATE TABLE p (id TEXT PRIMARY KEY)`}},
		{Kind: backend.OpKVPutMany, NS: ns.ID, Entries: []backend.Entry{{Key: "p:1", Value: []byte("one")}, {Key: "p:2", Value: []byte("two")}}},
		{Kind: backend.OpD1Batch, Stmts: []backend.Stmt{{SQL: `INSERT INTO p VALUES (?)`, Args: []any{"1"}}, {SQL: `INSERT INTO p VALUES (?)`, Args: []any{"2"}}}},
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `SELECT id FROM p UNION ALL SELECT NULL ORDER BY id`}},
		{Kind: backend.OpKVGetMany, NS: ns.ID, KeysFrom: &backend.KeysFrom{Op: 3, Column: 0, Prefix: "p:"}},
		{Kind: backend.OpKVGet, NS: ns.ID, Key: "p:3"},
		{Kind: backend.OpKVGet, NS: ns.ID, Key: "p:1"},
	})
	if err != nil {
		t.Fatalf("RunOps: %v", err)
	}
	if got := res[4]; strings.Join(got.Keys, ",") != "p:1,p:2" || string(got.Values["p:2"]) != "two" {
		t.Errorf("get many by reference: keys %q values %q (NULL cells must be skipped)", got.Keys, got.Values)
	}
	if res[5].Found || !res[6].Found || string(res[6].Entry.Value) != "one" {
		t.Errorf("gets: missing Found=%v, present Found=%v %q", res[5].Found, res[6].Found, res[6].Entry.Value)
	}

	res, err = backend.RunOps(ctx, b, []backend.Op{
		{Kind: backend.OpKVPut, NS: ns.ID, Entry: backend.Entry{Key: "ran", Value: []byte("x")}},
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `INSERT INTO p VALUES (?)`, Args: []any{"1"}}},
		{Kind: backend.OpKVPut, NS: ns.ID, Entry: backend.Entry{Key: "not-run", Value: []byte("x")}},
	})
	var pe *backend.PipelineError
	if !errors.As(err, &pe) || pe.Index != 1 || pe.Kind != backend.OpD1Query || !errors.Is(err, backend.ErrConstraint) || len(res) != 1 {
		t.Fatalf("RunOps with a failing op 1: %d results, %v", len(res), err)
	}
	if _, err := b.KV().Get(ctx, ns.ID, "not-run"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("op after the failure ran: %v", err)
	}
}

func TestCheckOps(t *testing.T) {
	tests := []struct {
		name  string
		ops   []backend.Op
		index int
		want  error
		text  string
	}{
		{"unknown kind", []backend.Op{{Kind: backend.OpKVGet, NS: "n", Key: "k"}, {Kind: 99}}, 1, nil, "unknown op kind"},
		{"no namespace", []backend.Op{{Kind: backend.OpKVGet, Key: "k"}}, 0, nil, "namespace"},
		{"long key", []backend.Op{{Kind: backend.OpKVDelete, NS: "n", Key: strings.Repeat("k", 513)}}, 0, backend.ErrTooLarge, ""},
		{"big metadata", []backend.Op{{Kind: backend.OpKVPut, NS: "n", Entry: backend.Entry{Key: "k", Metadata: []byte(`"` + strings.Repeat("m", 1100) + `"`)}}}, 0, backend.ErrTooLarge, ""},
		{"transaction", []backend.Op{{Kind: backend.OpD1Batch, Stmts: []backend.Stmt{{SQL: "SELECT 1"}, {SQL: "COMMIT"}}}}, 0, backend.ErrTransactionStatement, "statement 2"},
		{"reference forward", []backend.Op{{Kind: backend.OpKVGetMany, NS: "n", KeysFrom: &backend.KeysFrom{Op: 1}}, {Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: "SELECT 1"}}}, 0, nil, "earlier D1 op"},
		{"reference to KV", []backend.Op{{Kind: backend.OpKVGet, NS: "n", Key: "k"}, {Kind: backend.OpKVGetMany, NS: "n", KeysFrom: &backend.KeysFrom{Op: 0}}}, 1, nil, "earlier D1 op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := backend.CheckOps(tt.ops)
			var pe *backend.PipelineError
			if !errors.As(err, &pe) || pe.Index != tt.index {
				t.Fatalf("CheckOps = %v, want a *PipelineError at %d", err, tt.index)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckOps = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("CheckOps = %q, want it to say %q", err, tt.text)
			}
		})
	}
}
