package cloudflare

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

// TestRoundTripBudgets counts the HTTP requests each call makes, both in the
// Store's own counter and in the harness's log, against the budgets of
// DESIGN.md section 8.
func TestRoundTripBudgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	ns, err := f.s.KV().CreateNamespace(ctx, "budgets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "CREATE TABLE kv_ids (id INTEGER PRIMARY KEY, v TEXT)"}); err != nil {
		t.Fatal(err)
	}
	entries := func(n int, prefix string) []backend.Entry {
		es := make([]backend.Entry, n)
		for i := range es {
			es[i] = backend.Entry{Key: fmt.Sprintf("%s%05d", prefix, i), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		}
		return es
	}
	keys := func(n int, prefix string) []string {
		ks := make([]string, n)
		for i := range ks {
			ks[i] = fmt.Sprintf("%s%05d", prefix, i)
		}
		return ks
	}
	if err := f.s.KV().PutMany(ctx, ns.ID, entries(250, "g")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want int
		run  func() error
	}{
		{"Query", 1, func() error {
			_, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "SELECT count(*) FROM kv_ids WHERE id > ?", Args: []any{int64(0)}})
			return err
		}},
		{"Batch of 200 statements", 1, func() error {
			sts := make([]backend.Stmt, 200)
			for i := range sts {
				sts[i] = backend.Stmt{SQL: "INSERT INTO kv_ids (v) VALUES (?)", Args: []any{strings.Repeat("x", 100)}}
			}
			_, err := f.s.D1().Batch(ctx, sts)
			return err
		}},
		{"Get", 1, func() error { _, err := f.s.KV().Get(ctx, ns.ID, "g00001"); return err }},
		{"Put", 1, func() error { return f.s.KV().Put(ctx, ns.ID, backend.Entry{Key: "p", Value: []byte("v")}) }},
		{"GetMany 100", 1, func() error { _, err := f.s.KV().GetMany(ctx, ns.ID, keys(100, "g")); return err }},
		{"GetMany 250", 3, func() error { _, err := f.s.KV().GetMany(ctx, ns.ID, keys(250, "g")); return err }},
		{"PutMany 1000", 1, func() error { return f.s.KV().PutMany(ctx, ns.ID, entries(1000, "m")) }},
		{"DeleteMany 250", 1, func() error { return f.s.KV().DeleteMany(ctx, ns.ID, keys(250, "m")) }},
		{"List page", 1, func() error { _, err := f.s.KV().List(ctx, ns.ID, "g", "", 50); return err }},
		{"Bookmark", 1, func() error { _, err := f.s.Bookmark(ctx); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mark(t)
			before := f.s.Requests()
			if err := tt.run(); err != nil {
				t.Fatal(err)
			}
			if got := int(f.s.Requests() - before); got != tt.want {
				t.Errorf("Store counted %d requests, want %d", got, tt.want)
			}
			if got := len(f.requests(t)); got != tt.want {
				t.Errorf("harness served %d requests, want %d: %+v", got, tt.want, f.requests(t))
			}
		})
	}
}

// TestInspectBudget checks that backend.Inspect takes at most 2 D1 requests
// whatever the number of tables.
func TestInspectBudget(t *testing.T) {
	t.Parallel()
	for _, tables := range []int{1, 30} {
		t.Run(fmt.Sprintf("%d tables", tables), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			sts := make([]backend.Stmt, 0, 2*tables)
			for i := range tables {
				name := fmt.Sprintf("t%02d", i)
				sts = append(sts,
					backend.Stmt{SQL: fmt.Sprintf("CREATE TABLE %s (id TEXT PRIMARY KEY, a INTEGER NOT NULL DEFAULT 0, b REAL, c TEXT UNIQUE)", name)},
					backend.Stmt{SQL: fmt.Sprintf("CREATE INDEX %s_by_a ON %s (a, b)", name, name)})
			}
			if _, err := f.s.D1().Batch(ctx, sts); err != nil {
				t.Fatal(err)
			}
			f.mark(t)
			got, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Tables) != tables {
				t.Fatalf("Inspect found %d tables, want %d", len(got.Tables), tables)
			}
			for _, tb := range got.Tables {
				if len(tb.Columns) != 4 || len(tb.Indexes) != 1 {
					t.Errorf("table %s: %d columns, %d indexes; want 4 and 1", tb.Name, len(tb.Columns), len(tb.Indexes))
				}
			}
			d1, kvReqs := 0, 0
			for _, r := range f.requests(t) {
				if strings.Contains(r.Path, "/d1/") {
					d1++
				} else {
					kvReqs++
				}
			}
			if d1 > 2 {
				t.Errorf("Inspect made %d D1 requests, want at most 2", d1)
			}
			if kvReqs != 1 {
				t.Errorf("Inspect made %d KV requests, want 1 (the namespace list)", kvReqs)
			}
		})
	}
}
