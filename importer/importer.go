// Package importer turns a live D1 database into dmplan models: one
// *.dm.hcl file per table, declaring D1-only models (storage = "d1") whose
// fields, keys, constraints and indexes are what the table already has, so
// that a plan against the database is "No changes". What models cannot
// declare (views, triggers, virtual tables and their shadow tables, other
// tools' ledgers, tables without a primary key) is left unmanaged and
// listed with the reason.
package importer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/state"
)

// Object is one row of sqlite_master: a table, index, view or trigger.
type Object struct {
	Type  string // table, index, view, trigger
	Name  string
	Table string // tbl_name
	SQL   string // "" for automatic indexes
}

// Database is what import reads from a live database: the schema as
// dmplan inspects it (what a plan compares against) and every object of
// sqlite_master (for what Inspect leaves out).
type Database struct {
	Schema  *state.Schema
	Objects []Object
}

// Read inspects the database: backend.Inspect (no KV namespaces: an
// imported model has none) and one read of sqlite_master.
func Read(ctx context.Context, d1 backend.D1) (*Database, error) {
	s, err := backend.Inspect(ctx, d1, nil)
	if err != nil {
		return nil, err
	}
	res, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"})
	if err != nil {
		return nil, fmt.Errorf("read sqlite_master: %w", err)
	}
	db := &Database{Schema: s}
	for _, row := range res.Rows {
		if len(row) < 4 {
			return nil, fmt.Errorf("read sqlite_master: row of %d columns", len(row))
		}
		db.Objects = append(db.Objects, Object{Type: str(row[0]), Name: str(row[1]), Table: str(row[2]), SQL: str(row[3])})
	}
	return db, nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// Unmanaged kinds.
const (
	KindTable        = "table"
	KindView         = "view"
	KindTrigger      = "trigger"
	KindVirtualTable = "virtual table"
	KindShadowTable  = "shadow table"
	KindLedger       = "ledger"
)

// Unmanaged is an object import leaves alone, and why.
type Unmanaged struct {
	Kind   string
	Name   string
	Table  string // the table a trigger is on, or a shadow table's virtual table
	Reason string
}

// File is one generated file.
type File struct {
	Name    string // "<table>.dm.hcl"
	Model   string
	Table   string
	Content []byte
}

// Result is what Generate made.
type Result struct {
	Files     []File      // sorted by name
	Unmanaged []Unmanaged // sorted by kind order, then name
	// Fingerprint is state.Fingerprint of the schema import saw.
	Fingerprint string
}

// Options say where the database came from, for the files' header.
type Options struct {
	// Source describes the database: `environment "production"
	// (cloudflare)`. It never holds an account id.
	Source string
}

// ledgers are the migration tables of other tools, by lower-case name.
var ledgers = map[string]string{
	"d1_migrations":         "wrangler's migration ledger (wrangler d1 migrations)",
	"__drizzle_migrations":  "drizzle's migration ledger",
	"_prisma_migrations":    "Prisma's migration ledger",
	"_cf_kv":                "Cloudflare's internal table",
	"_litestream_seq":       "litestream's ledger",
	"schema_migrations":     "a migration tool's ledger",
	"knex_migrations":       "knex's migration ledger",
	"knex_migrations_lock":  "knex's migration lock",
	"kysely_migration":      "kysely's migration ledger",
	"kysely_migration_lock": "kysely's migration lock",
}

// Generate writes one model per table that a model can declare, and lists
// the rest. Its output depends only on db and opts: files and their
// contents are in a stable order.
func Generate(db *Database, opts Options) (*Result, error) {
	res := &Result{Fingerprint: state.Fingerprint(db.Schema)}
	creates := map[string]string{} // lower table name -> CREATE TABLE text
	for _, o := range db.Objects {
		switch o.Type {
		case "view":
			res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindView, Name: o.Name, Reason: "views cannot be declared in models"})
		case "trigger":
			res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindTrigger, Name: o.Name, Table: o.Table, Reason: "triggers cannot be declared in models"})
		case "table":
			creates[strings.ToLower(o.Name)] = o.SQL
			// Inspect leaves out the tables of SQLite, Cloudflare,
			// wrangler and dmplan; the ledgers among them are listed.
			if why := ledgers[strings.ToLower(o.Name)]; why != "" && db.Schema.Table(o.Name) == nil {
				res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindLedger, Name: o.Name, Reason: why + ", left to its tool"})
			}
		}
	}
	var declared []*model
	for _, t := range db.Schema.Tables {
		switch {
		case t.Virtual != "":
			res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindVirtualTable, Name: t.Name,
				Reason: "a " + t.Virtual + " virtual table: models declare ordinary tables only"})
			continue
		case t.ShadowOf != "":
			res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindShadowTable, Name: t.Name, Table: t.ShadowOf,
				Reason: "kept by the virtual table " + t.ShadowOf})
			continue
		case ledgers[strings.ToLower(t.Name)] != "":
			res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindLedger, Name: t.Name, Reason: ledgers[strings.ToLower(t.Name)] + ", left to its tool"})
			continue
		}
		// Table names are unique ignoring case, so their upper-case
		// model names are too.
		m, why := declare(t, creates[strings.ToLower(t.Name)])
		if why != "" {
			res.Unmanaged = append(res.Unmanaged, Unmanaged{Kind: KindTable, Name: t.Name, Reason: why})
			continue
		}
		declared = append(declared, m)
	}
	sortUnmanaged(res.Unmanaged)
	slices.SortFunc(declared, func(a, b *model) int { return strings.Compare(a.table, b.table) })
	for _, m := range declared {
		res.Files = append(res.Files, File{Name: m.table + ".dm.hcl", Model: m.name, Table: m.table, Content: m.render(opts, res.Unmanaged)})
	}
	return res, nil
}

// kindOrder orders the unmanaged list.
var kindOrder = map[string]int{KindTable: 0, KindLedger: 1, KindVirtualTable: 2, KindShadowTable: 3, KindView: 4, KindTrigger: 5}

func sortUnmanaged(u []Unmanaged) {
	sort.SliceStable(u, func(i, j int) bool {
		if kindOrder[u[i].Kind] != kindOrder[u[j].Kind] {
			return kindOrder[u[i].Kind] < kindOrder[u[j].Kind]
		}
		return u[i].Name < u[j].Name
	})
}
