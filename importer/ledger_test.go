package importer

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend/local"
)

// A wrangler ledger under another name (migrations_table in the wrangler
// configuration) is recognised by its shape and left to wrangler; a table
// of the same columns but another shape is a table.
func TestLedgerByShape(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		ledger    bool
	}{
		{"schema_log", `CREATE TABLE IF NOT EXISTS schema_log(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)`, true},
		{"Migrations", `CREATE TABLE Migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`, true},
		{"runs", `CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, by TEXT)`, false},
		{"jobs", `CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store, err := local.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if _, err := store.DB().SQL().ExecContext(ctx, tc.sql); err != nil {
				t.Fatal(err)
			}
			db, err := Read(ctx, store.D1())
			if err != nil {
				t.Fatal(err)
			}
			res, err := Generate(db, Options{Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			gotLedger := len(res.Unmanaged) == 1 && res.Unmanaged[0].Kind == KindLedger && res.Unmanaged[0].Name == tc.name
			if gotLedger != tc.ledger || tc.ledger != (len(res.Files) == 0) {
				t.Errorf("ledger = %v (unmanaged %+v, %d files), want %v", gotLedger, res.Unmanaged, len(res.Files), tc.ledger)
			}
		})
	}
}
