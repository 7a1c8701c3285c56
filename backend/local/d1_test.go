package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
)

func openTest(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustQuery(t *testing.T, d backend.D1, sql string, args ...any) *backend.Result {
	t.Helper()
	res, err := d.Query(context.Background(), backend.Stmt{SQL: sql, Args: args})
	if err != nil {
		t.Fatalf("Query(%q): %v", sql, err)
	}
	return res
}

func TestQueryResultShape(t *testing.T) {
	d := openTest(t).D1()
	mustQuery(t, d, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, at DATETIME)`)
	ins := mustQuery(t, d, `INSERT INTO t (name, at) VALUES (?, ?), (?, ?)`, "a", "2026-11-27T14:50:08.123Z", "b", nil)
	if ins.Changes != 2 || ins.LastInsertID != 2 || ins.RowsWritten != 2 {
		t.Errorf("insert: Changes=%d LastInsertID=%d RowsWritten=%d, want 2, 2 and 2", ins.Changes, ins.LastInsertID, ins.RowsWritten)
	}
	got := mustQuery(t, d, `SELECT id, name, at FROM t ORDER BY id`)
	want := &backend.Result{
		Columns: []string{"id", "name", "at"},
		Rows:    [][]any{{int64(1), "a", "2026-11-27T14:50:08.123Z"}, {int64(2), "b", nil}},
		// Rows returned stand for rows read locally (see backend.Cost).
		RowsRead: 2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("select (-want +got):\n%s", diff)
	}
	ret := mustQuery(t, d, `UPDATE t SET name = upper(name) RETURNING id, name`)
	if ret.Changes != 2 || len(ret.Rows) != 2 || ret.RowsWritten != 2 || ret.RowsRead != 0 {
		t.Errorf("update returning: Changes=%d rows=%d cost %+v, want 2, 2 and 2 rows written", ret.Changes, len(ret.Rows), backend.CostOf(ret))
	}
	with := mustQuery(t, d, `WITH x AS (SELECT 1 AS n) DELETE FROM t WHERE id IN (SELECT n FROM x)`)
	if with.Changes != 1 {
		t.Errorf("WITH ... DELETE: Changes=%d, want 1", with.Changes)
	}
	if ddl := mustQuery(t, d, `CREATE INDEX t_name ON t (name)`); ddl.Changes != 0 {
		t.Errorf("CREATE INDEX after a DELETE: Changes=%d, want 0", ddl.Changes)
	}
}

func TestQueryRejectsBeforeRunning(t *testing.T) {
	d := openTest(t).D1()
	mustQuery(t, d, `CREATE TABLE t (id INTEGER PRIMARY KEY)`)
	tests := []struct {
		name string
		st   backend.Stmt
		want error
	}{
		{"begin", backend.Stmt{SQL: "BEGIN"}, backend.ErrTransactionStatement},
		{"begin immediate comment", backend.Stmt{SQL: "/* x */ begin immediate transaction"}, backend.ErrTransactionStatement},
		{"savepoint", backend.Stmt{SQL: "SAVEPOINT a"}, backend.ErrTransactionStatement},
		{"release", backend.Stmt{SQL: "RELEASE a"}, backend.ErrTransactionStatement},
		{"two statements", backend.Stmt{SQL: "INSERT INTO t DEFAULT VALUES; DELETE FROM t"}, backend.ErrMultipleStatements},
		{"101 args", backend.Stmt{SQL: "SELECT ?", Args: make([]any, 101)}, backend.ErrTooLarge},
		{"?101", backend.Stmt{SQL: "SELECT ?101"}, backend.ErrTooLarge},
		{"long text", backend.Stmt{SQL: "SELECT '" + string(make([]byte, backend.MaxStatementBytes)) + "'"}, backend.ErrTooLarge},
		{"big string", backend.Stmt{SQL: "SELECT ?", Args: []any{string(make([]byte, backend.MaxRowBytes+1))}}, backend.ErrTooLarge},
		{"big blob", backend.Stmt{SQL: "SELECT ?", Args: []any{make([]byte, backend.MaxRowBytes+1)}}, backend.ErrTooLarge},
		{"time argument", backend.Stmt{SQL: "SELECT ?", Args: []any{time.Now()}}, backend.ErrArgType},
		{"map argument", backend.Stmt{SQL: "SELECT ?", Args: []any{map[string]any{}}}, backend.ErrArgType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Query(context.Background(), tt.st)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Query: err = %v, want %v", err, tt.want)
			}
			_, err = d.Batch(context.Background(), []backend.Stmt{{SQL: "INSERT INTO t DEFAULT VALUES"}, tt.st})
			var be *backend.BatchError
			if !errors.Is(err, tt.want) || !errors.As(err, &be) || be.Index != 1 {
				t.Fatalf("Batch: err = %v, want %v at statement 2", err, tt.want)
			}
		})
	}
	if n := mustQuery(t, d, "SELECT count(*) FROM t").Rows[0][0]; n != int64(0) {
		t.Errorf("rows after refused statements = %v, want 0", n)
	}
}

func TestConstraintError(t *testing.T) {
	d := openTest(t).D1()
	mustQuery(t, d, `CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL)`)
	mustQuery(t, d, `INSERT INTO t (email) VALUES (?)`, "a@x")
	for _, sql := range []string{`INSERT INTO t (email) VALUES ('a@x')`, `INSERT INTO t (email) VALUES (NULL)`} {
		_, err := d.Query(context.Background(), backend.Stmt{SQL: sql})
		if !errors.Is(err, backend.ErrConstraint) {
			t.Errorf("%s: err = %v, want ErrConstraint", sql, err)
		}
	}
}

func TestForeignKeysOn(t *testing.T) {
	d := openTest(t).D1()
	mustQuery(t, d, `CREATE TABLE p (id INTEGER PRIMARY KEY)`)
	mustQuery(t, d, `CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id))`)
	_, err := d.Query(context.Background(), backend.Stmt{SQL: `INSERT INTO c (p) VALUES (42)`})
	if !errors.Is(err, backend.ErrConstraint) {
		t.Fatalf("insert with a dangling foreign key: err = %v, want ErrConstraint", err)
	}
}

func TestTwoStoresOnOneDirectory(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mustQuery(t, a.D1(), `CREATE TABLE n (id INTEGER PRIMARY KEY, who TEXT)`)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			_, err := s.D1().Batch(ctx, []backend.Stmt{
				{SQL: `INSERT INTO n (who) VALUES (?)`, Args: []any{"x"}},
				{SQL: `UPDATE n SET who = 'y' WHERE id = last_insert_rowid()`},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent batch: %v", err)
		}
	}
	if n := mustQuery(t, b.D1(), "SELECT count(*) FROM n WHERE who = 'y'").Rows[0][0]; n != int64(200) {
		t.Errorf("rows = %v, want 200", n)
	}
	if got, want := a.Describe(), "local "+filepath.Join(dir, D1File); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestStatementCacheTurnsOver(t *testing.T) {
	s := openTest(t)
	d := s.DB()
	mustQuery(t, d, `CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)`)
	// More distinct statements than two generations hold, each run twice:
	// retired statements are closed without breaking later calls.
	for round := range 2 {
		for i := range 2*maxCachedStmts + 10 {
			res := mustQuery(t, d, fmt.Sprintf(`SELECT %d + ? AS n`, i), int64(round))
			if got := res.Rows[0][0]; got != int64(i+round) {
				t.Fatalf("SELECT %d + %d = %v", i, round, got)
			}
		}
	}
	if got := mustQuery(t, d, `SELECT count(*) FROM t`).Rows[0][0]; got != int64(0) {
		t.Errorf("count = %v", got)
	}
}

func TestOpenOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my data?#%20 é")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	mustQuery(t, s.D1(), `CREATE TABLE t (id INTEGER PRIMARY KEY)`)
	s.Close()
	for _, name := range []string{D1File, KVFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not created in %q: %v", name, dir, err)
		}
	}
}
