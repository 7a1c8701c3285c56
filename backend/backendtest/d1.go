package backendtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
)

func runD1(t *testing.T, b backend.Backend) {
	d := b.D1()
	t.Run("TypesRoundTrip", func(t *testing.T) { testTypesRoundTrip(t, d) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, d) })
	t.Run("UniqueViolation", func(t *testing.T) { testUniqueViolation(t, d) })
	t.Run("BatchAtomic", func(t *testing.T) { testBatchAtomic(t, d) })
	t.Run("BatchResults", func(t *testing.T) { testBatchResults(t, d) })
	t.Run("TransactionStatementsRefused", func(t *testing.T) { testTransactionStatements(t, d) })
	t.Run("LimitsRefused", func(t *testing.T) { testD1Limits(t, d) })
	t.Run("PragmaTableInfo", func(t *testing.T) { testPragmaTableInfo(t, d) })
	t.Run("PragmaFunctionsRefused", func(t *testing.T) { testPragmaFunctions(t, d) })
	t.Run("ArgTypesRefused", func(t *testing.T) { testArgTypes(t, d) })
}

func query(t *testing.T, d backend.D1, sql string, args ...any) *backend.Result {
	t.Helper()
	res, err := d.Query(context.Background(), backend.Stmt{SQL: sql, Args: args})
	if err != nil {
		t.Fatalf("Query(%q): %v", sql, err)
	}
	return res
}

func testTypesRoundTrip(t *testing.T, d backend.D1) {
	table := backend.QuoteIdent(unique("rt"))
	query(t, d, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, v)`)
	tests := []struct {
		name     string
		arg      any
		want     any
		wantType string
	}{
		{"nil", nil, nil, "null"},
		{"zero", int64(0), int64(0), "integer"},
		{"negative", int64(-42), int64(-42), "integer"},
		{"max safe integer", int64(1<<53 - 1), int64(1<<53 - 1), "integer"},
		{"min safe integer", int64(-(1<<53 - 1)), int64(-(1<<53 - 1)), "integer"},
		{"float", 3.25, 3.25, "real"},
		{"negative float", -0.5, -0.5, "real"},
		{"large float", 1.5e300, 1.5e300, "real"},
		{"true", true, int64(1), "integer"},
		{"false", false, int64(0), "integer"},
		{"empty string", "", "", "text"},
		{"ascii", "hello", "hello", "text"},
		{"unicode", "héllo wörld 日本語 🎉", "héllo wörld 日本語 🎉", "text"},
		{"quotes and newlines", "it's \"quoted\"\n\ttab ?", "it's \"quoted\"\n\ttab ?", "text"},
		{"numeric-looking text", "0042", "0042", "text"},
		{"blob", []byte{0, 1, 2, 0xfe, 0xff}, []byte{0, 1, 2, 0xfe, 0xff}, "blob"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query(t, d, `INSERT INTO `+table+` (id, v) VALUES (?, ?)`, int64(i+1), tt.arg)
			got := query(t, d, `SELECT v, typeof(v) AS type FROM `+table+` WHERE id = ?`, int64(i+1))
			want := &backend.Result{Columns: []string{"v", "type"}, Rows: [][]any{{tt.want, tt.wantType}}}
			if diff := cmp.Diff(want, got, cmpResult); diff != "" {
				t.Errorf("stored value (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpResult compares rows and columns only; Changes and LastInsertID are
// checked where they matter.
var cmpResult = cmp.Transformer("rows", func(r *backend.Result) map[string]any {
	if r == nil {
		return nil
	}
	return map[string]any{"columns": r.Columns, "rows": r.Rows}
})

func testChanges(t *testing.T, d backend.D1) {
	table := backend.QuoteIdent(unique("changes"))
	query(t, d, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`)
	ins := query(t, d, `INSERT INTO `+table+` (n) VALUES (?), (?), (?), (?)`, int64(1), int64(2), int64(3), int64(4))
	if ins.Changes != 4 {
		t.Errorf("INSERT of 4 rows: Changes = %d", ins.Changes)
	}
	if ins.LastInsertID != 4 {
		t.Errorf("INSERT of 4 rows: LastInsertID = %d, want 4", ins.LastInsertID)
	}
	if up := query(t, d, `UPDATE `+table+` SET n = n + 10 WHERE n > ?`, int64(1)); up.Changes != 3 {
		t.Errorf("UPDATE of 3 rows: Changes = %d", up.Changes)
	}
	if up := query(t, d, `UPDATE `+table+` SET n = 0 WHERE n > ?`, int64(1000)); up.Changes != 0 {
		t.Errorf("UPDATE of no rows: Changes = %d", up.Changes)
	}
	if del := query(t, d, `DELETE FROM `+table+` WHERE n >= ?`, int64(13)); del.Changes != 2 {
		t.Errorf("DELETE of 2 rows: Changes = %d", del.Changes)
	}
	got := query(t, d, `SELECT id, n FROM `+table+` ORDER BY id`)
	want := &backend.Result{Columns: []string{"id", "n"}, Rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(12)}}}
	if diff := cmp.Diff(want, got, cmpResult); diff != "" {
		t.Errorf("rows after changes (-want +got):\n%s", diff)
	}
}

func testUniqueViolation(t *testing.T, d backend.D1) {
	name := unique("uniq")
	table := backend.QuoteIdent(name)
	query(t, d, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)`)
	query(t, d, `INSERT INTO `+table+` (email) VALUES (?)`, "a@example.com")
	_, err := d.Query(context.Background(), backend.Stmt{SQL: `INSERT INTO ` + table + ` (email) VALUES (?)`, Args: []any{"a@example.com"}})
	if !errors.Is(err, backend.ErrConstraint) {
		t.Fatalf("duplicate insert: err = %v, want one wrapping backend.ErrConstraint", err)
	}
	if !strings.Contains(err.Error(), "UNIQUE constraint failed") {
		t.Errorf("duplicate insert: error %q does not say UNIQUE constraint failed", err)
	}
}

func testBatchAtomic(t *testing.T, d backend.D1) {
	table := backend.QuoteIdent(unique("atomic"))
	query(t, d, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)`)
	query(t, d, `INSERT INTO `+table+` (email) VALUES (?)`, "taken@example.com")
	_, err := d.Batch(context.Background(), []backend.Stmt{
		{SQL: `INSERT INTO ` + table + ` (email) VALUES (?)`, Args: []any{"fresh@example.com"}},
		{SQL: `INSERT INTO ` + table + ` (email) VALUES (?)`, Args: []any{"taken@example.com"}},
	})
	if !errors.Is(err, backend.ErrConstraint) {
		t.Fatalf("batch breaking UNIQUE: err = %v, want one wrapping backend.ErrConstraint", err)
	}
	got := query(t, d, `SELECT email FROM `+table+` ORDER BY email`)
	want := &backend.Result{Columns: []string{"email"}, Rows: [][]any{{"taken@example.com"}}}
	if diff := cmp.Diff(want, got, cmpResult); diff != "" {
		t.Errorf("rows after a failed batch (-want +got):\n%s", diff)
	}
}

func testBatchResults(t *testing.T, d backend.D1) {
	name := unique("batch")
	table := backend.QuoteIdent(name)
	res, err := d.Batch(context.Background(), []backend.Stmt{
		{SQL: `CREATE TABLE ` + table + ` (id INTEGER PRIMARY KEY, v TEXT)`},
		{SQL: `INSERT INTO ` + table + ` (v) VALUES (?), (?)`, Args: []any{"a", "b"}},
		{SQL: `UPDATE ` + table + ` SET v = upper(v) WHERE v = ?`, Args: []any{"b"}},
		{SQL: `SELECT id, v FROM ` + table + ` ORDER BY id`},
	})
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	if len(res) != 4 {
		t.Fatalf("Batch returned %d results for 4 statements", len(res))
	}
	if res[1].Changes != 2 || res[2].Changes != 1 {
		t.Errorf("Changes = %d, %d, want 2, 1", res[1].Changes, res[2].Changes)
	}
	want := &backend.Result{Columns: []string{"id", "v"}, Rows: [][]any{{int64(1), "a"}, {int64(2), "B"}}}
	if diff := cmp.Diff(want, res[3], cmpResult); diff != "" {
		t.Errorf("SELECT in a batch (-want +got):\n%s", diff)
	}
	empty, err := d.Batch(context.Background(), nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("empty Batch = %v, %v; want no results and no error", empty, err)
	}
}

func testTransactionStatements(t *testing.T, d backend.D1) {
	table := backend.QuoteIdent(unique("tx"))
	query(t, d, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY)`)
	for _, sql := range []string{"BEGIN", "BEGIN TRANSACTION", "begin immediate", "COMMIT", "END", "ROLLBACK", "SAVEPOINT s1", "RELEASE s1", "ROLLBACK TO s1"} {
		t.Run(sql, func(t *testing.T) {
			if _, err := d.Query(context.Background(), backend.Stmt{SQL: sql}); !errors.Is(err, backend.ErrTransactionStatement) {
				t.Errorf("Query: err = %v, want backend.ErrTransactionStatement", err)
			}
			_, err := d.Batch(context.Background(), []backend.Stmt{{SQL: sql}, {SQL: `INSERT INTO ` + table + ` DEFAULT VALUES`}})
			if !errors.Is(err, backend.ErrTransactionStatement) {
				t.Errorf("Batch: err = %v, want backend.ErrTransactionStatement", err)
			}
		})
	}
	if got := query(t, d, `SELECT count(*) AS n FROM `+table).Rows[0][0]; got != int64(0) {
		t.Errorf("rows after refused batches = %v, want 0", got)
	}
}

func testD1Limits(t *testing.T, d backend.D1) {
	table := backend.QuoteIdent(unique("limits"))
	query(t, d, `CREATE TABLE `+table+` (id INTEGER PRIMARY KEY, v)`)
	many := make([]any, backend.MaxParams+1)
	for i := range many {
		many[i] = int64(i)
	}
	hundred := strings.TrimSuffix(strings.Repeat("(?),", backend.MaxParams), ",")
	tests := []struct {
		name string
		st   backend.Stmt
	}{
		{"101 parameters", backend.Stmt{SQL: `INSERT INTO ` + table + ` (v) VALUES ` + hundred + `, (?)`, Args: many}},
		{"parameter ?101", backend.Stmt{SQL: `INSERT INTO ` + table + ` (v) VALUES (?101)`, Args: many}},
		{"statement over 100 KB", backend.Stmt{SQL: `INSERT INTO ` + table + ` (v) VALUES ('` + strings.Repeat("x", backend.MaxStatementBytes) + `')`}},
		{"string over 2 MB", backend.Stmt{SQL: `INSERT INTO ` + table + ` (v) VALUES (?)`, Args: []any{strings.Repeat("x", backend.MaxRowBytes+1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := d.Query(context.Background(), tt.st); !errors.Is(err, backend.ErrTooLarge) {
				t.Errorf("Query: err = %v, want backend.ErrTooLarge", err)
			}
		})
	}
	if got := query(t, d, `SELECT count(*) AS n FROM `+table).Rows[0][0]; got != int64(0) {
		t.Errorf("rows after refused statements = %v, want 0", got)
	}
	ok := query(t, d, `INSERT INTO `+table+` (v) VALUES `+hundred, many[:backend.MaxParams]...)
	if ok.Changes != backend.MaxParams {
		t.Errorf("INSERT with exactly %d parameters: Changes = %d", backend.MaxParams, ok.Changes)
	}
}

func testPragmaTableInfo(t *testing.T, d backend.D1) {
	name := unique("pragma")
	query(t, d, `CREATE TABLE `+backend.QuoteIdent(name)+` (id TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new', n INTEGER)`)
	got := query(t, d, `PRAGMA table_info(`+backend.QuoteIdent(name)+`)`)
	want := &backend.Result{
		Columns: []string{"cid", "name", "type", "notnull", "dflt_value", "pk"},
		Rows: [][]any{
			{int64(0), "id", "TEXT", int64(0), nil, int64(1)},
			{int64(1), "status", "TEXT", int64(1), "'new'", int64(0)},
			{int64(2), "n", "INTEGER", int64(0), nil, int64(0)},
		},
	}
	if diff := cmp.Diff(want, got, cmpResult); diff != "" {
		t.Errorf("PRAGMA table_info (-want +got):\n%s", diff)
	}
}

func testPragmaFunctions(t *testing.T, d backend.D1) {
	name := unique("pragmafn")
	query(t, d, `CREATE TABLE `+backend.QuoteIdent(name)+` (id INTEGER PRIMARY KEY)`)
	_, err := d.Query(context.Background(), backend.Stmt{SQL: `SELECT name FROM pragma_table_info(?)`, Args: []any{name}})
	if !errors.Is(err, backend.ErrNotAuthorized) {
		t.Errorf("SELECT from pragma_table_info: err = %v, want backend.ErrNotAuthorized", err)
	}
}

func testArgTypes(t *testing.T, d backend.D1) {
	for _, arg := range []any{time.Date(2026, 11, 27, 14, 50, 8, 0, time.UTC), struct{}{}, []string{"a"}} {
		_, err := d.Query(context.Background(), backend.Stmt{SQL: `SELECT ? AS v`, Args: []any{arg}})
		if !errors.Is(err, backend.ErrArgType) {
			t.Errorf("argument %T: err = %v, want backend.ErrArgType", arg, err)
		}
	}
}
