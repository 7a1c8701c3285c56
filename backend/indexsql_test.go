package backend

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	_ "modernc.org/sqlite"

	"github.com/dmplan/dmplan/state"
)

func TestParseIndexSQL(t *testing.T) {
	type key = state.IndexKey
	tests := []struct {
		sql    string
		unique bool
		cols   []string
		keys   []key
		where  string
		exact  bool
		ok     bool
	}{
		{sql: `CREATE INDEX by_a ON t (a)`, cols: []string{"a"}, keys: []key{{}}, exact: true, ok: true},
		{sql: `CREATE UNIQUE INDEX by_a_b ON t(a, b)`, unique: true, cols: []string{"a", "b"}, keys: []key{{}, {}}, exact: true, ok: true},
		{sql: `create unique index if not exists main.x on "t" ("A b" DESC, [c], ` + "`d`" + ` asc)`, unique: true,
			cols: []string{"A b", "c", "d"}, keys: []key{{Desc: true}, {}, {}}, exact: true, ok: true},
		{sql: `CREATE INDEX "odd ""name""" ON t ("q""uote")`, cols: []string{`q"uote`}, keys: []key{{}}, exact: true, ok: true},
		{sql: `CREATE INDEX p ON t (a) WHERE a IS NOT NULL`, cols: []string{"a"}, keys: []key{{}}, where: "a IS NOT NULL", exact: true, ok: true},
		{sql: "CREATE INDEX p ON t (a)\n  where \"Deleted_At\"   is\tnull -- soft delete", cols: []string{"a"}, keys: []key{{}}, where: "deleted_at IS NULL", exact: true, ok: true},
		{sql: "CREATE INDEX /* c */ c ON t -- x\n (a)", cols: []string{"a"}, keys: []key{{}}, exact: true, ok: true},
		{sql: `CREATE INDEX e ON t (lower(a))`, cols: []string{""}, keys: []key{{Expr: "lower(a)"}}, exact: true, ok: true},
		{sql: `CREATE INDEX e ON t (LOWER( "A" ) DESC)`, cols: []string{""}, keys: []key{{Expr: "lower(a)", Desc: true}}, exact: true, ok: true},
		{sql: `CREATE UNIQUE INDEX e ON t (a COLLATE NOCASE)`, unique: true, cols: []string{"a"}, keys: []key{{Collate: "NOCASE"}}, exact: true, ok: true},
		{sql: `CREATE INDEX e ON t (a collate "binary" ASC, b COLLATE rtrim DESC)`, cols: []string{"a", "b"}, keys: []key{{}, {Collate: "RTRIM", Desc: true}}, exact: true, ok: true},
		{sql: `CREATE INDEX e ON t ((a))`, cols: []string{"a"}, keys: []key{{}}, exact: true, ok: true},
		{sql: `CREATE INDEX e ON t (a + b, coalesce(c, 'x,y'))`, cols: []string{"", ""}, keys: []key{{Expr: "a + b"}, {Expr: "coalesce(c, 'x,y')"}}, exact: true, ok: true},
		{sql: `CREATE INDEX e ON t (json_extract(data, '$.a'))  WHERE status IN ('a','b') AND x>=1`, cols: []string{""},
			keys: []key{{Expr: "json_extract(data, '$.a')"}}, where: "status IN ('a', 'b') AND x >= 1", exact: true, ok: true},
		{sql: `CREATE INDEX r ON t (rowid)`, cols: []string{"rowid"}, keys: []key{{}}, ok: true},
		{sql: `CREATE INDEX r ON t ('a')`, cols: []string{""}, keys: []key{{Expr: "'a'"}}, ok: true},
		{sql: `CREATE INDEX u ON t (a) trailing`},
		{sql: `CREATE INDEX u ON t (a) WHERE`},
		{sql: `CREATE INDEX u ON t (a`},
		{sql: `CREATE INDEX u ON t ("a`},
		{sql: `CREATE INDEX u ON t ()`},
		{sql: `CREATE INDEX u ON t (a,)`},
		{sql: `CREATE INDEX u ON t (DESC)`},
		{sql: `CREATE INDEX IF u ON t (a)`},
		{sql: `CREATE TABLE t (a)`},
		{sql: ``},
	}
	for _, tt := range tests {
		got, ok := parseIndexSQL(tt.sql)
		if ok != tt.ok {
			t.Errorf("parseIndexSQL(%q) ok = %v, want %v", tt.sql, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		want := parsedIndex{unique: tt.unique, columns: tt.cols, keys: tt.keys, where: tt.where, exact: tt.exact}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(parsedIndex{})); diff != "" {
			t.Errorf("parseIndexSQL(%q) (-want +got):\n%s", tt.sql, diff)
		}
	}
}

// TestParseIndexSQLAgreesWithSQLite creates indexes in real SQLite and
// checks that whenever parseIndexSQL reads the text SQLite stored exactly,
// its keys (in the table's spelling), their order and collation and the
// uniqueness are what PRAGMA index_xinfo and index_list say, and that the
// partial ones are those index_list calls partial.
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
		`CREATE INDEX i8 ON t (e COLLATE rtrim DESC, (alpha), "b c" COLLATE BINARY) WHERE e IS NOT NULL`,
		`CREATE INDEX i9 ON t ("b c" + 1 DESC, rowid_like)`,
		`CREATE INDEX i10 ON t (Alpha || 'x', e)`,
		`CREATE INDEX i11 ON t ('Alpha')`,
	}
	for _, d := range defs {
		if _, err := db.ExecContext(ctx, d); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	cols := []string{"Alpha", "b c", `q"d`, "rowid_like", "e"}
	table := tableOf(cols)
	exact := 0
	for i := range defs {
		name := fmt.Sprintf("i%d", i+1)
		var text string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = ?`, name).Scan(&text); err != nil {
			t.Fatal(err)
		}
		p, ok := parseIndexSQL(text)
		if !ok {
			t.Errorf("parseIndexSQL(%q) failed", text)
			continue
		}
		var unique, partial bool
		if err := db.QueryRowContext(ctx, `SELECT "unique", partial FROM pragma_index_list('t') WHERE name = ?`, name).Scan(&unique, &partial); err != nil {
			t.Fatal(err)
		}
		if unique != p.unique || partial != (p.where != "") {
			t.Errorf("%s: unique, partial = %v, %v; index_list says %v, %v", text, p.unique, p.where != "", unique, partial)
		}
		wantCols, wantKeys := indexXInfo(pragmaXInfo(t, db, name), p)
		if !p.exact {
			continue
		}
		exact++
		gotCols, gotKeys := columnKeys(table, p)
		// index_xinfo cannot give an expression's text; parse does.
		for j := range wantKeys {
			if wantKeys[j].Expr == "<expr>" {
				wantKeys[j].Expr = gotKeys[j].Expr
			}
		}
		if diff := cmp.Diff(wantCols, gotCols); diff != "" {
			t.Errorf("%s: columns (-index_xinfo +parsed):\n%s", text, diff)
		}
		if diff := cmp.Diff(wantKeys, gotKeys, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: keys (-index_xinfo +parsed):\n%s", text, diff)
		}
	}
	if exact != 10 {
		t.Errorf("read %d of the indexes exactly, want 10 (all but i11)", exact)
	}
}

func pragmaXInfo(t *testing.T, db *sql.DB, index string) *Result {
	t.Helper()
	rows, err := db.Query(`PRAGMA index_xinfo(` + QuoteIdent(index) + `)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	r := &Result{Columns: []string{"seqno", "cid", "name", "desc", "coll", "key"}}
	for rows.Next() {
		var seq, cid, desc, key int64
		var name, coll sql.NullString
		if err := rows.Scan(&seq, &cid, &name, &desc, &coll, &key); err != nil {
			t.Fatal(err)
		}
		var n any
		if name.Valid {
			n = name.String
		}
		r.Rows = append(r.Rows, []any{seq, cid, n, desc, coll.String, key})
	}
	return r
}

func tableOf(cols []string) *state.Table {
	t := &state.Table{Name: "t"}
	for _, c := range cols {
		t.Columns = append(t.Columns, &state.Column{Name: c})
	}
	return t
}

// TestNormalizedTextRecreates: the normalized WHERE and key expressions
// inspection reads, written back into CREATE INDEX as the planner does,
// are accepted by SQLite and read back unchanged, names that are SQLite
// keywords ("order", "group", "key") included.
func TestNormalizedTextRecreates(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t ("order" INT, "group" TEXT, "key" TEXT, a TEXT, deleted_at TEXT, "end" INT, "select" TEXT)`); err != nil {
		t.Fatal(err)
	}
	defs := []string{
		`CREATE INDEX i1 ON t ("order") WHERE "order" > 0`,
		`CREATE INDEX i2 ON t ([group] COLLATE NOCASE) WHERE "GROUP" <> 'x' AND deleted_at IS NULL`,
		"CREATE UNIQUE INDEX i3 ON t (lower(`key`), \"order\" DESC) WHERE key IS NOT NULL",
		`CREATE INDEX i4 ON t (replace(a, 'x', 'y')) WHERE a = 'order by'`,
		`CREATE INDEX i5 ON t ("end" + 1, "select") WHERE "end" > 0 AND "SELECT" IS NOT NULL`,
	}
	for i, d := range defs {
		if _, err := db.ExecContext(ctx, d); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		name := fmt.Sprintf("i%d", i+1)
		var text string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = ?`, name).Scan(&text); err != nil {
			t.Fatal(err)
		}
		p, ok := parseIndexSQL(text)
		if !ok {
			t.Fatalf("parseIndexSQL(%q) failed", text)
		}
		keys := make([]string, len(p.keys))
		for j, k := range p.keys {
			keys[j] = QuoteIdent(p.columns[j])
			if k.Expr != "" {
				keys[j] = k.Expr
			}
			if k.Collate != "" {
				keys[j] += " COLLATE " + k.Collate
			}
			if k.Desc {
				keys[j] += " DESC"
			}
		}
		again := fmt.Sprintf("CREATE INDEX r%d ON t (%s) WHERE %s", i+1, strings.Join(keys, ", "), p.where)
		if _, err := db.ExecContext(ctx, again); err != nil {
			t.Errorf("%s\nrecreated as %s: %v", d, again, err)
			continue
		}
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = ?`, fmt.Sprintf("r%d", i+1)).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if q, _ := parseIndexSQL(text); q.where != p.where || !cmp.Equal(q.keys, p.keys) {
			t.Errorf("%s read back as where %q keys %+v, want %q %+v", again, q.where, q.keys, p.where, p.keys)
		}
	}
}
