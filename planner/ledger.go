package planner

import (
	"fmt"
	"strings"
)

// Codes of the ledger notes: a migrations table another tool keeps in the
// database. dmplan never reads it to plan and never writes it.
const (
	// NoteLedgerWrangler: wrangler's d1_migrations (`wrangler d1
	// migrations apply`).
	NoteLedgerWrangler = "DM220"
	// NoteLedgerDrizzle: drizzle's __drizzle_migrations (drizzle-kit
	// migrate, drizzle-orm's migrate()).
	NoteLedgerDrizzle = "DM221"
	// NoteLedgerPrisma: Prisma's _prisma_migrations (prisma migrate).
	NoteLedgerPrisma = "DM222"
)

// A LedgerKind is a migrations table of another tool that the planner
// recognises.
type LedgerKind struct {
	// Table is the table's name (matched case-insensitively).
	Table string
	// Tool names the tool for people.
	Tool string
	// Code is the note's code.
	Code string
	// name is the column that names a migration; hashed: it holds a
	// SHA-256 of the migration's SQL, shown shortened.
	name   string
	hashed bool
}

// Ledgers are the migrations tables the planner recognises, in a fixed
// order. They are internal tables (state.IsInternalTable): never planned,
// never in a fingerprint, never imported.
var Ledgers = []LedgerKind{
	{Table: "d1_migrations", Tool: "wrangler", Code: NoteLedgerWrangler, name: "name"},
	{Table: "__drizzle_migrations", Tool: "drizzle", Code: NoteLedgerDrizzle, name: "hash", hashed: true},
	{Table: "_prisma_migrations", Tool: "Prisma", Code: NoteLedgerPrisma, name: "migration_name"},
}

// ReadSQL is the statement that reads the ledger: one row holding the
// number of migrations it lists and the newest one's columns (every
// column, so a table of that name with other columns is read without an
// error; Ledger picks what it knows), or no row when it lists none.
func (k LedgerKind) ReadSQL() string {
	q := `"` + k.Table + `"`
	return "SELECT (SELECT COUNT(*) FROM " + q + ") AS dmplan_ledger_count, * FROM " + q + " ORDER BY rowid DESC LIMIT 1"
}

// Ledger is what a plan says of another tool's migrations table.
type Ledger struct {
	Kind LedgerKind
	// Count is the number of migrations it lists.
	Count int64
	// Latest names the newest one ("" when unknown or none).
	Latest string
}

// ReadLedger interprets the rows ReadSQL returned (columns and rows as
// the backend gives them).
func (k LedgerKind) ReadLedger(columns []string, rows [][]any) Ledger {
	l := Ledger{Kind: k}
	if len(rows) == 0 {
		return l
	}
	row := rows[0]
	for i, c := range columns {
		if i >= len(row) {
			break
		}
		switch {
		case c == "dmplan_ledger_count":
			switch n := row[i].(type) {
			case int64:
				l.Count = n
			case float64:
				l.Count = int64(n)
			}
		case strings.EqualFold(c, k.name):
			if s, ok := row[i].(string); ok {
				l.Latest = s
			}
		}
	}
	if k.hashed && len(l.Latest) > 12 {
		l.Latest = "hash " + l.Latest[:12]
	}
	return l
}

// WithLedgers makes the plan report other tools' migrations tables found
// in the database (a note each, NoteLedgerWrangler…): dmplan leaves them
// alone, and a reader learns that another tool also migrates this schema.
func WithLedgers(ls []Ledger) Option {
	return func(o *options) { o.ledgers = ls }
}

// ledgerNotes adds a note per ledger.
func (d *differ) ledgerNotes(ls []Ledger) {
	for _, l := range ls {
		var what string
		switch {
		case l.Count == 0:
			what = "lists no migrations"
		case l.Count == 1:
			what = "lists 1 migration"
		default:
			what = fmt.Sprintf("lists %d migrations", l.Count)
		}
		if l.Latest != "" {
			what += ", the latest " + l.Latest
		}
		d.note(l.Kind.Code, l.Kind.Table, fmt.Sprintf("table %s is %s's migrations ledger (%s): another tool's ledger, left alone", l.Kind.Table, l.Kind.Tool, what))
	}
}
