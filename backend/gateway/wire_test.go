package gateway

import (
	"errors"
	"math"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

func TestEncodeStmt(t *testing.T) {
	tests := []struct {
		name   string
		sql    string
		args   []any
		want   string
		params []any
	}{
		{"text only", `SELECT * FROM t WHERE a = ?`, []any{"x"}, `SELECT * FROM t WHERE a = ?`, []any{"x"}},
		{"anonymous numbered", `INSERT INTO t VALUES (?, ?, ?)`, []any{int64(1), "s", 2.5}, `INSERT INTO t VALUES (CAST(?1 AS INTEGER), ?2, CAST(?3 AS REAL))`, []any{"1", "s", 2.5}},
		{"explicit numbers", `SELECT ?2, ?1, ?2`, []any{"a", int64(-9223372036854775808)}, `SELECT CAST(?2 AS INTEGER), ?1, CAST(?2 AS INTEGER)`, []any{"a", "-9223372036854775808"}},
		{"after ?NNN", `SELECT ?3, ?`, []any{nil, nil, int64(1), true}, `SELECT CAST(?3 AS INTEGER), CAST(?4 AS INTEGER)`, []any{nil, nil, "1", "1"}},
		{"literals and comments", `SELECT '?', "?", [?], ` + "`?`" + `, ? -- ?
/* ? */ , ?`, []any{int64(7), false}, `SELECT '?', "?", [?], ` + "`?`" + `, CAST(?1 AS INTEGER) -- ?
/* ? */ , CAST(?2 AS INTEGER)`, []any{"7", "0"}},
		{"quote escapes", `SELECT 'it''s ?', ?`, []any{int64(3)}, `SELECT 'it''s ?', CAST(?1 AS INTEGER)`, []any{"3"}},
		{"blob", `SELECT ?`, []any{[]byte{0, 255}}, `SELECT ?`, []any{wireBlob{B64: "AP8="}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeStmt(backend.Stmt{SQL: tt.sql, Args: tt.args})
			if err != nil {
				t.Fatal(err)
			}
			if got.SQL != tt.want {
				t.Errorf("SQL =\n%s\nwant\n%s", got.SQL, tt.want)
			}
			if len(got.Params) != len(tt.params) {
				t.Fatalf("params = %v, want %v", got.Params, tt.params)
			}
			for i := range got.Params {
				if got.Params[i] != tt.params[i] {
					t.Errorf("param %d = %#v, want %#v", i+1, got.Params[i], tt.params[i])
				}
			}
		})
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), struct{}{}} {
		if _, err := encodeStmt(backend.Stmt{SQL: `SELECT ?`, Args: []any{bad}}); !errors.Is(err, backend.ErrArgType) {
			t.Errorf("argument %v: err = %v, want ErrArgType", bad, err)
		}
	}
}
