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

// TestLedgerUnderConfiguredName: wrangler's ledger under the
// migrations_table a wrangler configuration names is noted as the ledger
// (DM220), not as an unmanaged table (DM201).
func TestLedgerUnderConfiguredName(t *testing.T) {
	k := WranglerLedger("schema_log")
	if k.Table != "schema_log" || k.Code != NoteLedgerWrangler || k.Tool != "wrangler" {
		t.Fatalf("WranglerLedger = %+v", k)
	}
	live := &state.Schema{Tables: []*state.Table{
		{Name: "Schema_Log", Columns: []*state.Column{{Name: "id", Type: "INTEGER"}, {Name: "name", Type: "TEXT"}}},
		{Name: "other", Columns: []*state.Column{{Name: "id", Type: "INTEGER"}}},
	}}
	l := k.ReadLedger([]string{"dmplan_ledger_count", "id", "name"}, [][]any{{int64(2), int64(2), "0002_b.sql"}})
	p := Diff(nil, "local", live, WithLedgers([]Ledger{l}))
	var codes []string
	for _, n := range p.Notes {
		codes = append(codes, n.Code+" "+n.Target)
	}
	want := []string{"DM201 other", "DM220 schema_log"}
	if len(codes) != len(want) || codes[0] != want[0] || codes[1] != want[1] {
		t.Errorf("notes = %v, want %v", codes, want)
	}
	if kinds := LedgerKinds(k); len(kinds) != len(Ledgers)+1 || kinds[len(Ledgers)] != k {
		t.Errorf("LedgerKinds(k) = %+v", kinds)
	}
}

// TestLedgerPending: the files a wrangler ledger does not list yet, and
// the note a plan shows for them.
func TestLedgerPending(t *testing.T) {
	files := []string{"0001_a.sql", "0002_b.sql", "0003_c.sql", "0004_d.sql", "0005_e.sql"}
	for _, tc := range []struct {
		name    string
		l       Ledger
		pending int
		message string
	}{
		{"up to date", Ledger{Kind: Ledgers[0], Count: 5, Latest: "0005_e.sql"}, 0, ""},
		{"one pending", Ledger{Kind: Ledgers[0], Count: 4, Latest: "0004_d.sql"}, 1,
			"1 migration in migrations (0005_e.sql) not applied yet (d1_migrations lists 4 migrations, the latest 0004_d.sql): this plan is of the database without it; run wrangler d1 migrations apply first"},
		{"none applied", Ledger{Kind: WranglerLedger("schema_log")}, 5,
			"5 migrations in migrations (0001_a.sql, 0002_b.sql, 0003_c.sql and 2 more) not applied yet (schema_log lists no migrations): this plan is of the database without them; run wrangler d1 migrations apply first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.l.Pending(files)
			if len(p) != tc.pending {
				t.Fatalf("Pending = %v, want %d files", p, tc.pending)
			}
			if len(p) == 0 {
				return
			}
			n := PendingNote(tc.l, "migrations", p)
			if n.Code != NoteMigrationsPending || n.Message != tc.message {
				t.Errorf("note = %s %s\nwant %s", n.Code, n.Message, tc.message)
			}
		})
	}
}
