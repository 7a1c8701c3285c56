package operator_test

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// TestLedgerProbesExtraKind: a ledger kind beyond planner.Ledgers
// (wrangler's under a configured migrations_table) is probed and read in
// the same Inspect, after the fixed ones.
func TestLedgerProbesExtraKind(t *testing.T) {
	ctx := context.Background()
	s, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.D1().Batch(ctx, []backend.Stmt{
		{SQL: `CREATE TABLE schema_log(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`},
		{SQL: `INSERT INTO schema_log (name) VALUES ('0001_init.sql'), ('0002_tags.sql')`},
	}); err != nil {
		t.Fatal(err)
	}
	extra := planner.WranglerLedger("schema_log")
	probes := operator.LedgerProbes(extra)
	if _, err := operator.Inspect(ctx, s.D1(), s.KV(), probes...); err != nil {
		t.Fatal(err)
	}
	got := operator.Ledgers(probes, extra)
	if len(got) != 1 || got[0].Kind.Table != "schema_log" || got[0].Count != 2 || got[0].Latest != "0002_tags.sql" {
		t.Errorf("ledgers = %+v, want schema_log with 2, the latest 0002_tags.sql", got)
	}
}
