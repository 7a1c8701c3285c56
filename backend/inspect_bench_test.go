package backend_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
)

// BenchmarkInspect inspects databases of 50, 200 and 400 tables (12
// columns and 2 indexes each) beside a hand-written baseline that runs the
// same PRAGMA statements through database/sql and scans them into structs.
func BenchmarkInspect(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		ctx := context.Background()
		store, err := local.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		var sts []backend.Stmt
		for i := range n {
			t := fmt.Sprintf("t%03d", i)
			sts = append(sts,
				backend.Stmt{SQL: fmt.Sprintf(`CREATE TABLE %s (id TEXT PRIMARY KEY, user_id TEXT, a TEXT, b TEXT NOT NULL DEFAULT 'x', c INTEGER, d REAL, e TEXT, f TEXT, g INTEGER, created_at TEXT, updated_at TEXT, deleted_at TEXT)`, t)},
				backend.Stmt{SQL: fmt.Sprintf(`CREATE INDEX %s_a ON %s (a, b)`, t, t)},
				backend.Stmt{SQL: fmt.Sprintf(`CREATE INDEX %s_user ON %s (user_id)`, t, t)},
			)
		}
		if _, err := store.D1().Batch(ctx, sts); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("tables=%d/inspect", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := backend.Inspect(ctx, store.D1(), store.KV())
				if err != nil || len(s.Tables) != n {
					b.Fatalf("Inspect: %v", err)
				}
			}
		})
		b.Run(fmt.Sprintf("tables=%d/database_sql", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := handInspect(b, ctx, store.DB().SQL()); got != n {
					b.Fatalf("inspected %d tables", got)
				}
			}
		})
		store.Close()
	}
}

type handColumn struct {
	name, typ string
	notNull   bool
	dflt      sql.NullString
	pk        bool
}

// handInspect is what a careful hand-written inspector does in one read
// transaction.
func handInspect(b *testing.B, ctx context.Context, db *sql.DB) int {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT type, name, tbl_name FROM sqlite_master`)
	if err != nil {
		b.Fatal(err)
	}
	var tables, indexes []string
	for rows.Next() {
		var typ, name, tbl string
		if err := rows.Scan(&typ, &name, &tbl); err != nil {
			b.Fatal(err)
		}
		switch {
		case typ == "table" && !backend.IsInternalTable(name):
			tables = append(tables, name)
		case typ == "index" && !backend.IsInternalTable(tbl):
			indexes = append(indexes, name)
		}
	}
	rows.Close()
	cols := map[string][]handColumn{}
	for _, t := range tables {
		rows, err := tx.QueryContext(ctx, `PRAGMA table_info(`+backend.QuoteIdent(t)+`)`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var cid int
			var c handColumn
			if err := rows.Scan(&cid, &c.name, &c.typ, &c.notNull, &c.dflt, &c.pk); err != nil {
				b.Fatal(err)
			}
			cols[t] = append(cols[t], c)
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `PRAGMA index_list(`+backend.QuoteIdent(t)+`)`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var seq, unique, partial int
			var name, origin string
			if err := rows.Scan(&seq, &name, &unique, &origin, &partial); err != nil {
				b.Fatal(err)
			}
		}
		rows.Close()
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM `+backend.QuoteIdent(t)+`)`).Scan(&exists); err != nil {
			b.Fatal(err)
		}
	}
	for _, ix := range indexes {
		rows, err := tx.QueryContext(ctx, `PRAGMA index_info(`+backend.QuoteIdent(ix)+`)`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var seq, cid int
			var name sql.NullString
			if err := rows.Scan(&seq, &cid, &name); err != nil {
				b.Fatal(err)
			}
		}
		rows.Close()
	}
	return len(tables)
}
