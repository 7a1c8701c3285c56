package cloudflare

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// TestLedgerProbesRideInInspect: on workerd's D1, the other tools'
// migrations ledgers (in the shapes wrangler, drizzle and Prisma create
// them) are read within plan's two D1 requests, and what is read is their
// count and newest migration; a table named like a ledger but with other
// columns is read without an error.
func TestLedgerProbesRideInInspect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.s.D1().Batch(ctx, []backend.Stmt{
		{SQL: `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`},
		{SQL: `INSERT INTO d1_migrations (name) VALUES ('0001_init.sql'), ('0002_tags.sql'), ('0003_index.sql')`},
		{SQL: `CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`},
		{SQL: `INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1700000000000), ('0123456789abcdef0123456789abcdef', 1700000001000)`},
		{SQL: `CREATE TABLE _prisma_migrations (something_else TEXT)`},
		{SQL: `CREATE TABLE notes (id TEXT PRIMARY KEY)`},
	}); err != nil {
		t.Fatal(err)
	}
	f.mark(t)
	ledgers := operator.LedgerProbes()
	last := applier.LastApplyProbe()
	in, err := operator.Inspect(ctx, f.s.D1(), f.s.KV(), append(ledgers, last)...)
	if err != nil {
		t.Fatal(err)
	}
	if d1, _ := splitRequests(f.requests(t)); d1 != 2 {
		t.Errorf("inspect with the ledger probes took %d D1 requests, want 2", d1)
	}
	got := operator.Ledgers(ledgers)
	want := []struct {
		code   string
		count  int64
		latest string
	}{
		{planner.NoteLedgerWrangler, 3, "0003_index.sql"},
		{planner.NoteLedgerDrizzle, 2, "hash 0123456789ab"},
		{planner.NoteLedgerPrisma, 0, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("ledgers = %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i].Kind.Code != w.code || got[i].Count != w.count || got[i].Latest != w.latest {
			t.Errorf("ledger %d = %s %d %q, want %s %d %q", i, got[i].Kind.Code, got[i].Count, got[i].Latest, w.code, w.count, w.latest)
		}
	}
	for _, tb := range in.Live.Tables {
		if tb.Name != "notes" {
			t.Errorf("live schema holds table %s; the ledgers are internal", tb.Name)
		}
	}
}
