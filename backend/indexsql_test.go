package backend

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/dmplan/dmplan/state"
)

func TestParseIndexSQL(t *testing.T) {
	tests := []struct {
		sql    string
		unique bool
		cols   []string
		ok     bool
	}{
		{`CREATE INDEX by_a ON t (a)`, false, []string{"a"}, true},
		{`CREATE UNIQUE INDEX by_a_b ON t(a, b)`, true, []string{"a", "b"}, true},
		{`create unique index if not exists main.x on "t" ("A b" DESC, [c], ` + "`d`" + ` asc)`, true, []string{"A b", "c", "d"}, true},
		{`CREATE INDEX "odd ""name""" ON t ("q""uote")`, false, []string{`q"uote`}, true},
		{`CREATE INDEX p ON t (a) WHERE a IS NOT NULL`, false, []string{"a"}, true},
		{"CREATE INDEX /* c */ c ON t -- x\n (a)", false, []string{"a"}, true},
		{`CREATE INDEX e ON t (lower(a))`, false, nil, false},
		{`CREATE UNIQUE INDEX e ON t (a COLLATE NOCASE)`, true, nil, false},
		{`CREATE INDEX e ON t (a + b)`, false, nil, false},
		{`CREATE INDEX r ON t (rowid)`, false, nil, false},
		{`CREATE INDEX u ON t (a) trailing`, false, nil, false},
		{`CREATE INDEX u ON t (a`, false, nil, false},
		{`CREATE INDEX u ON t ("a`, false, nil, false},
		{`CREATE INDEX u ON t ()`, false, nil, false},
		{`CREATE INDEX IF u ON t (a)`, false, nil, false},
		{`CREATE TABLE t (a)`, false, nil, false},
		{``, false, nil, false},
	}
	for _, tt := range tests {
		got, ok := parseIndexSQL(tt.sql)
		if ok != tt.ok {
			t.Errorf("parseIndexSQL(%q) ok = %v, want %v", tt.sql, ok, tt.ok)
			continue
		}
		if got.unique != tt.unique {
			t.Errorf("parseIndexSQL(%q) unique = %v, want %v", tt.sql, got.unique, tt.unique)
		}
		if ok {
			if diff := cmp.Diff(tt.cols, got.columns); diff != "" {
				t.Errorf("parseIndexSQL(%q) columns (-want +got):\n%s", tt.sql, diff)
			}
		}
	}
}

// TestParseIndexSQLAgreesWithSQLite creates indexes in real SQLite and
// checks that whenever parseIndexSQL accepts the text SQLite stored, its
// columns (in the table's spelling) and uniqueness are what PRAGMA
// index_info and index_list say.
func TestParseIndexSQLAgreesWithSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (Alpha TEXT, "b c" INT, "q""d" TEXT, rowid_like INT, [e] REAL)`); err != nil {
		t.Fatal(err)
	}
	defs := []string{
		`CREATE INDEX i1 ON t (alpha)`,
		`CREATE UNIQUE INDEX i2 ON t ("B C" DESC, ALPHA ASC)`,
		`create index i3 on t ([q"d], "e")`,
		`CREATE INDEX i4 ON t (rowid_like) WHERE rowid_like > 0`,
		`CREATE INDEX i5 ON t (lower(Alpha))`,
		`CREATE INDEX i6 ON t (Alpha COLLATE NOCASE)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS i7 ON t (e, Alpha)`,
	}
	for _, d := range defs {
		if _, err := db.ExecContext(ctx, d); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	cols := []string{"Alpha", "b c", `q"d`, "rowid_like", "e"}
	table := tableOf(cols)
	accepted := 0
	for i := range defs {
		name := fmt.Sprintf("i%d", i+1)
		var text string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = ?`, name).Scan(&text); err != nil {
			t.Fatal(err)
		}
		p, ok := parseIndexSQL(text)
		if !ok {
			continue
		}
		accepted++
		want := pragmaColumns(t, db, name)
		if diff := cmp.Diff(want, columnSpelling(table, p.columns)); diff != "" {
			t.Errorf("%s: columns (-index_info +parsed):\n%s", text, diff)
		}
		var unique bool
		if err := db.QueryRowContext(ctx, `SELECT "unique" FROM pragma_index_list('t') WHERE name = ?`, name).Scan(&unique); err != nil {
			t.Fatal(err)
		}
		if unique != p.unique {
			t.Errorf("%s: unique = %v, index_list says %v", text, p.unique, unique)
		}
	}
	if accepted != 5 {
		t.Errorf("parsed %d of the indexes, want 5 (i1-i4, i7)", accepted)
	}
}

func pragmaColumns(t *testing.T, db *sql.DB, index string) []string {
	t.Helper()
	rows, err := db.Query(`PRAGMA index_info(` + QuoteIdent(index) + `)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var seq, cid int
		var name sql.NullString
		if err := rows.Scan(&seq, &cid, &name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name.String)
	}
	return out
}

func tableOf(cols []string) *state.Table {
	t := &state.Table{Name: "t"}
	for _, c := range cols {
		t.Columns = append(t.Columns, &state.Column{Name: c})
	}
	return t
}
