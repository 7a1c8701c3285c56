package backend

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/state"
)

func TestParseTableSQL(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		want      parsedTable
		ok        bool
	}{
		{
			name: "drizzle",
			sql: "CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`email` text(255) NOT NULL COLLATE NOCASE,\n\t" +
				"`created_at` integer DEFAULT (unixepoch()) NOT NULL,\n\t`org_id` integer REFERENCES orgs(id) ON DELETE cascade ON UPDATE no action\n)",
			ok: true,
			want: parsedTable{columns: []parsedColumn{
				{name: "id", primary: true, autoincrement: true},
				{name: "email", collate: "NOCASE"},
				{name: "created_at"},
				{name: "org_id", references: &state.Reference{Table: "orgs", Columns: []string{"id"}, OnDelete: "CASCADE"}},
			}},
		},
		{
			name: "prisma",
			sql: `CREATE TABLE "Membership" (
    "orgId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'member' CHECK ("role" IN ('member', 'admin')),
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("orgId", "userId"),
    CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
)`,
			ok: true,
			want: parsedTable{
				columns: []parsedColumn{
					{name: "orgId"}, {name: "userId"},
					{name: "role", checks: []string{"role IN ('member', 'admin')"}},
					{name: "createdAt"},
				},
				primaryKey: []string{"orgId", "userId"},
				foreignKeys: []state.ForeignKey{{Columns: []string{"userId"},
					Reference: state.Reference{Table: "User", Columns: []string{"id"}, OnDelete: "RESTRICT", OnUpdate: "CASCADE"}}},
			},
		},
		{
			name: "hand written, options, comments, brackets",
			sql: `create table if not exists main.[line items] ( -- items
  [order id] int not null constraint fk references orders on delete set null deferrable initially deferred,
  sku varchar ( 32 ) unique on conflict replace,
  qty decimal(10, 2) check (qty > 0) /* positive */ check(qty < 1000),
  total real generated always as (qty * 2) stored,
  constraint pk primary key ([order id], sku desc),
  unique (sku collate nocase, qty),
  check (qty <> 13),
  foreign key (sku, qty) references skus(code, n) match simple
) strict, without rowid`,
			ok: true,
			want: parsedTable{
				strict: true, withoutRowid: true,
				columns: []parsedColumn{
					{name: "order id", references: &state.Reference{Table: "orders", OnDelete: "SET NULL"}, unmodeled: []string{"REFERENCES is DEFERRABLE INITIALLY DEFERRED"}},
					{name: "sku", unique: true, unmodeled: []string{"ON CONFLICT REPLACE"}},
					{name: "qty", checks: []string{"qty > 0", "qty < 1000"}},
					{name: "total", generated: "qty * 2", unmodeled: []string{"generated STORED"}},
				},
				primaryKey:  []string{"order id", "sku"},
				uniques:     [][]string{{"sku", "qty"}},
				checks:      []string{"qty <> 13"},
				foreignKeys: []state.ForeignKey{{Columns: []string{"sku", "qty"}, Reference: state.Reference{Table: "skus", Columns: []string{"code", "n"}}}},
				unmodeled: []string{
					`PRIMARY KEY ("order id", sku DESC) has keys with a collation, an order or an expression`,
					"UNIQUE (sku COLLATE nocase, qty) has keys with a collation, an order or an expression",
				},
			},
		},
		{name: "virtual", sql: `CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes')`, ok: true, want: parsedTable{virtual: "fts5"}},
		{name: "as select", sql: `CREATE TABLE t AS SELECT 1 AS x`},
		{name: "unterminated", sql: `CREATE TABLE t (a TEXT DEFAULT 'x)`},
		{name: "unbalanced", sql: `CREATE TABLE t (a TEXT CHECK (a > 0)`},
		{name: "not a table", sql: `CREATE INDEX i ON t (a)`},
		{name: "empty column", sql: `CREATE TABLE t (a, , b)`},
		{name: "unknown option", sql: `CREATE TABLE t (a) WITHOUT CHEESE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseTableSQL(tc.sql)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(parsedTable{}, parsedColumn{})); diff != "" {
				t.Errorf("parseTableSQL (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseTableSQL: no input may panic.
func FuzzParseTableSQL(f *testing.F) {
	for _, s := range []string{
		"CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT COLLATE NOCASE CHECK (b <> '') REFERENCES u(id) ON DELETE CASCADE)",
		"CREATE TABLE t (a, b, PRIMARY KEY (a, b), UNIQUE (b), FOREIGN KEY (a) REFERENCES x) STRICT, WITHOUT ROWID",
		"CREATE VIRTUAL TABLE f USING fts5(a)",
		"CREATE TABLE [x] (`y` DECIMAL(10, 2) GENERATED ALWAYS AS (1) VIRTUAL, CONSTRAINT c CHECK ((1)))",
		"CREATE TABLE t (a REFERENCES",
		"CREATE TABLE t (CONSTRAINT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		p, ok := parseTableSQL(sql)
		if !ok {
			return
		}
		tbl := &state.Table{Name: "t"}
		for _, c := range p.columns {
			tbl.Columns = append(tbl.Columns, &state.Column{Name: c.name})
		}
		applyTableSQL(tbl, p)
		markShadows([]*state.Table{tbl})
	})
}
