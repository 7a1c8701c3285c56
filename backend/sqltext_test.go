package backend

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanSQL(t *testing.T) {
	tests := []struct {
		sql     string
		want    SQLInfo
		wantErr error
	}{
		{"SELECT * FROM t WHERE a = ? AND b = ?", SQLInfo{Keyword: "SELECT", Params: 2, Rows: true}, nil},
		{"select ?3, ?1", SQLInfo{Keyword: "SELECT", Params: 3, Rows: true}, nil},
		{"SELECT '?', \"?\", `?`, [?] -- ?\n /* ? */ FROM t", SQLInfo{Keyword: "SELECT", Rows: true}, nil},
		{"SELECT 'it''s;', ?;", SQLInfo{Keyword: "SELECT", Params: 1, Rows: true}, nil},
		{"PRAGMA table_info(\"t\")", SQLInfo{Keyword: "PRAGMA", Rows: true}, nil},
		{"INSERT INTO t VALUES (?, :a, @b, $c)", SQLInfo{Keyword: "INSERT", Params: 4, Writes: true}, nil},
		{"INSERT INTO t VALUES (1) RETURNING id", SQLInfo{Keyword: "INSERT", Rows: true, Writes: true}, nil},
		{"INSERT INTO t SELECT x FROM (SELECT 1 AS returning)", SQLInfo{Keyword: "INSERT", Writes: true}, nil},
		{"WITH x AS (SELECT 1) SELECT * FROM x", SQLInfo{Keyword: "WITH", Rows: true}, nil},
		{"WITH x AS (SELECT 1) DELETE FROM t WHERE id IN x", SQLInfo{Keyword: "WITH", Writes: true}, nil},
		{"WITH x AS (SELECT 1) UPDATE t SET a = 1 RETURNING a", SQLInfo{Keyword: "WITH", Rows: true, Writes: true}, nil},
		{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN 2 END; DELETE FROM u; END;",
			SQLInfo{Keyword: "CREATE", Writes: true}, nil},
		{"BEGIN TRANSACTION", SQLInfo{Keyword: "BEGIN"}, ErrTransactionStatement},
		{"  commit", SQLInfo{Keyword: "COMMIT"}, ErrTransactionStatement},
		{"END", SQLInfo{Keyword: "END"}, ErrTransactionStatement},
		{"rollback to a", SQLInfo{Keyword: "ROLLBACK"}, ErrTransactionStatement},
		{"SAVEPOINT a", SQLInfo{Keyword: "SAVEPOINT"}, ErrTransactionStatement},
		{"RELEASE a", SQLInfo{Keyword: "RELEASE"}, ErrTransactionStatement},
		{"SELECT 1; SELECT 2", SQLInfo{Keyword: "SELECT", Rows: true}, ErrMultipleStatements},
		{"SELECT 1; BEGIN", SQLInfo{Keyword: "SELECT", Rows: true}, ErrMultipleStatements},
		{"SELECT 1;;  -- done\n", SQLInfo{Keyword: "SELECT", Rows: true}, nil},
		{"SELECT name FROM pragma_table_info('t')", SQLInfo{Keyword: "SELECT", Rows: true}, ErrNotAuthorized},
		{"select * from PRAGMA_INDEX_LIST ( 't' )", SQLInfo{Keyword: "SELECT", Rows: true}, ErrNotAuthorized},
		{"SELECT pragma_x FROM t", SQLInfo{Keyword: "SELECT", Rows: true}, nil},
		{"ATTACH DATABASE 'x.db' AS x", SQLInfo{Keyword: "ATTACH"}, ErrNotAuthorized},
		{"DETACH x", SQLInfo{Keyword: "DETACH"}, ErrNotAuthorized},
	}
	for _, tt := range tests {
		got, err := ScanSQL(tt.sql)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ScanSQL(%q): err = %v, want %v", tt.sql, err, tt.wantErr)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ScanSQL(%q) (-want +got):\n%s", tt.sql, diff)
		}
	}
	for _, sql := range []string{"", "  ", "-- only a comment", ";"} {
		if _, err := ScanSQL(sql); err == nil {
			t.Errorf("ScanSQL(%q): no error for empty text", sql)
		}
	}
}

func FuzzScanSQL(f *testing.F) {
	for _, s := range []string{"SELECT ?", "'unterminated", "/* open", "[x", "?99999999999999", "CREATE TRIGGER t BEGIN; END"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		_, _ = CheckStmt(Stmt{SQL: sql})
	})
}
