package planner

import (
	"testing"

	"github.com/dmplan/dmplan/state"
)

func TestLedgerNotes(t *testing.T) {
	wr, dz, pr := Ledgers[0], Ledgers[1], Ledgers[2]
	for _, tc := range []struct {
		name    string
		kind    LedgerKind
		columns []string
		rows    [][]any
		code    string
		message string
	}{
		{"wrangler", wr, []string{"dmplan_ledger_count", "id", "name", "applied_at"}, [][]any{{int64(12), int64(12), "0012_tags.sql", "2026-01-01 00:00:00"}},
			"DM220", "table d1_migrations is wrangler's migrations ledger (lists 12 migrations, the latest 0012_tags.sql): another tool's ledger, left alone"},
		{"empty", wr, []string{"dmplan_ledger_count", "id", "name", "applied_at"}, nil,
			"DM220", "table d1_migrations is wrangler's migrations ledger (lists no migrations): another tool's ledger, left alone"},
		{"drizzle hash, float count", dz, []string{"dmplan_ledger_count", "id", "hash", "created_at"}, [][]any{{float64(1), nil, "0123456789abcdef0123", float64(1.7e12)}},
			"DM221", "table __drizzle_migrations is drizzle's migrations ledger (lists 1 migration, the latest hash 0123456789ab): another tool's ledger, left alone"},
		{"other columns", pr, []string{"dmplan_ledger_count", "x"}, [][]any{{int64(3), "y"}},
			"DM222", "table _prisma_migrations is Prisma's migrations ledger (lists 3 migrations): another tool's ledger, left alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.kind.ReadLedger(tc.columns, tc.rows)
			p := Diff(nil, "local", &state.Schema{}, WithLedgers([]Ledger{l}))
			if len(p.Notes) != 1 {
				t.Fatalf("notes = %+v, want 1", p.Notes)
			}
			n := p.Notes[0]
			if n.Code != tc.code || n.Target != tc.kind.Table || n.Message != tc.message {
				t.Errorf("note = %+v\nwant %s %s: %s", n, tc.code, tc.kind.Table, tc.message)
			}
			if p.HasChanges() {
				t.Errorf("a ledger made changes: %+v", p.Steps)
			}
		})
	}
	for _, k := range Ledgers {
		if !state.IsInternalTable(k.Table) {
			t.Errorf("ledger %s is not an internal table, so plans would also call it unmanaged", k.Table)
		}
	}
}
