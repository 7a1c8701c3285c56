package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dmplan/dmplan/backend"
)

var _ backend.D1 = (*DB)(nil)

// DB is the local D1 database. Query runs one statement with no transaction
// around it; Batch runs statements in one SQL transaction. Both check D1's
// limits and refuse transaction statements before anything runs. Prepared
// statements are cached by SQL text, so a repeated statement costs little
// more than hand-written database/sql.
type DB struct {
	db    *sql.DB
	cache stmtCache
	// writeMu serializes this process's writers, so they queue here instead
	// of spinning on SQLite's busy handler; other processes still wait on
	// the busy timeout.
	writeMu sync.Mutex
}

func newDB(db *sql.DB) *DB {
	return &DB{db: db}
}

// SQL returns the underlying database, for tools that need database/sql
// directly. Statements sent through it bypass D1's limits.
func (d *DB) SQL() *sql.DB { return d.db }

func (d *DB) close() error {
	d.cache.closeAll()
	return d.db.Close()
}

// Query runs one statement and returns its rows, or for a statement that
// returns none, the number of rows it changed.
func (d *DB) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	cs, err := d.check(st)
	if err != nil {
		return nil, err
	}
	if cs.stmt == nil && cacheable(cs.info) {
		stmt, err := d.db.PrepareContext(ctx, st.SQL)
		if err != nil {
			return nil, fmt.Errorf("d1 query: %w", wrapSQLite(err))
		}
		cs = d.cache.put(st.SQL, &cachedStmt{stmt: stmt, info: cs.info})
	}
	if cs.info.Writes {
		d.writeMu.Lock()
		defer d.writeMu.Unlock()
	}
	var r runner = cs.stmt
	if cs.stmt == nil {
		r = direct{db: d.db, sql: st.SQL}
	}
	res, err := run(ctx, r, cs.info, st.Args)
	if err != nil {
		return nil, fmt.Errorf("d1 query: %w", err)
	}
	return res, nil
}

// Batch runs the statements in one transaction, in order: all take effect
// or, when one fails, none does; the error is a *backend.BatchError naming
// the statement. Every statement is checked before the transaction begins.
func (d *DB) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	if len(sts) == 0 {
		return []*backend.Result{}, nil
	}
	checked := make([]*cachedStmt, len(sts))
	for i, st := range sts {
		cs, err := d.check(st)
		if err != nil {
			return nil, &backend.BatchError{Index: i, Err: err}
		}
		checked[i] = cs
	}
	results, err := d.batch(ctx, sts, checked)
	if err != nil {
		return nil, err
	}
	// Statements seen for the first time are prepared for next time, now
	// that the tables they name exist outside the transaction.
	for i, cs := range checked {
		if cs.stmt == nil && cacheable(cs.info) {
			if stmt, err := d.db.PrepareContext(ctx, sts[i].SQL); err == nil {
				d.cache.put(sts[i].SQL, &cachedStmt{stmt: stmt, info: cs.info})
			}
		}
	}
	return results, nil
}

func (d *DB) batch(ctx context.Context, sts []backend.Stmt, checked []*cachedStmt) ([]*backend.Result, error) {
	readOnly := true
	for _, cs := range checked {
		readOnly = readOnly && !cs.info.Writes
	}
	if !readOnly {
		// Writers take SQLite's write lock at BEGIN (IMMEDIATE), so two
		// processes never deadlock upgrading a read lock. A batch of reads,
		// such as Inspect's, starts a plain deferred transaction instead
		// and does not hold writers up.
		d.writeMu.Lock()
		defer d.writeMu.Unlock()
	}
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return nil, fmt.Errorf("d1 batch: begin: %w", wrapSQLite(err))
	}
	defer tx.Rollback()
	results := make([]*backend.Result, len(sts))
	for i, cs := range checked {
		var (
			res *backend.Result
			err error
		)
		if cs.stmt != nil {
			stmt := tx.StmtContext(ctx, cs.stmt)
			res, err = run(ctx, stmt, cs.info, sts[i].Args)
			stmt.Close()
		} else {
			res, err = run(ctx, direct{tx: tx, sql: sts[i].SQL}, cs.info, sts[i].Args)
		}
		if err != nil {
			return nil, &backend.BatchError{Index: i, Err: err}
		}
		results[i] = res
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("d1 batch: commit: %w", wrapSQLite(err))
	}
	return results, nil
}

// check applies D1's limits to a statement and returns its cache entry, or
// a new entry without a prepared statement. Text checks run once per
// distinct SQL that gets cached; argument checks run every call.
func (d *DB) check(st backend.Stmt) (*cachedStmt, error) {
	if err := backend.CheckArgs(st.Args); err != nil {
		return nil, err
	}
	if cs := d.cache.get(st.SQL); cs != nil {
		return cs, nil
	}
	info, err := backend.CheckStmt(backend.Stmt{SQL: st.SQL})
	if err != nil {
		return nil, err
	}
	return &cachedStmt{info: info}, nil
}

// cacheable reports whether a statement is worth keeping prepared: data
// statements with parameters are (the ones an application repeats);
// schema changes, pragmas and statements built with their values inline
// (generated once, such as Inspect's probes) are not.
func cacheable(info backend.SQLInfo) bool {
	if info.Params == 0 {
		return false
	}
	switch info.Keyword {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "VALUES":
		return true
	}
	return false
}

// changesRows reports whether a statement is one whose change count SQLite
// reports.
func changesRows(info backend.SQLInfo) bool {
	switch info.Keyword {
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH":
		return true
	}
	return false
}

// runner is a prepared statement or SQL text with its database or
// transaction.
type runner interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
}

type direct struct {
	db  *sql.DB
	tx  *sql.Tx
	sql string
}

func (r direct) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	if r.tx != nil {
		return r.tx.ExecContext(ctx, r.sql, args...)
	}
	return r.db.ExecContext(ctx, r.sql, args...)
}

func (r direct) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	if r.tx != nil {
		return r.tx.QueryContext(ctx, r.sql, args...)
	}
	return r.db.QueryContext(ctx, r.sql, args...)
}

// run executes a statement: through Query when it can return rows, else
// through Exec for the change count.
func run(ctx context.Context, r runner, info backend.SQLInfo, args []any) (*backend.Result, error) {
	if !info.Rows {
		sr, err := r.ExecContext(ctx, args...)
		if err != nil {
			return nil, wrapSQLite(err)
		}
		res := &backend.Result{Columns: []string{}, Rows: [][]any{}}
		if changesRows(info) {
			// SQLite's change count is left over from the last data
			// statement after DDL, so it is read for data statements only.
			res.Changes, _ = sr.RowsAffected()
			res.RowsWritten = res.Changes
		}
		res.LastInsertID, _ = sr.LastInsertId()
		return res, nil
	}
	rows, err := r.QueryContext(ctx, args...)
	if err != nil {
		return nil, wrapSQLite(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, wrapSQLite(err)
	}
	res := &backend.Result{Columns: cols, Rows: [][]any{}}
	ptrs := make([]any, len(cols))
	for rows.Next() {
		row := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, wrapSQLite(err)
		}
		for i, v := range row {
			if t, ok := v.(time.Time); ok {
				row[i] = formatTime(t)
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapSQLite(err)
	}
	if info.Writes {
		// RETURNING yields one row per changed row.
		res.Changes = int64(len(res.Rows))
		res.RowsWritten = res.Changes
	} else if info.Keyword != "EXPLAIN" { // a plan reads no rows
		// The driver does not expose SQLite's per-statement counters, so
		// the rows returned stand for the rows read: a lower bound of
		// D1's rows_read (see backend.Cost).
		res.RowsRead = int64(len(res.Rows))
	}
	return res, nil
}

// formatTime turns the time.Time the driver makes of TEXT in DATE, DATETIME
// and TIMESTAMP columns back into text as D1 would return it. The driver
// keeps no original text, so this is exact for dmplan's own format
// (2026-11-27T14:50:08.123Z) and RFC 3339 in general, not for every layout.
func formatTime(t time.Time) string {
	layout := "2006-01-02T15:04:05"
	switch ns := t.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		layout += ".000"
	default:
		layout += ".999999999"
	}
	if t.Location() == time.UTC {
		return t.Format(layout + "Z")
	}
	return t.Format(layout + "-07:00")
}

// sqliteError is what the driver's errors offer.
type sqliteError interface {
	error
	Code() int
}

// constraintError marks a statement that broke a constraint, so callers
// can test errors.Is(err, backend.ErrConstraint).
type constraintError struct{ err error }

func (e *constraintError) Error() string   { return e.err.Error() }
func (e *constraintError) Unwrap() []error { return []error{backend.ErrConstraint, e.err} }

const sqliteConstraint = 19 // SQLITE_CONSTRAINT, the primary result code

func wrapSQLite(err error) error {
	var se sqliteError
	if errors.As(err, &se) && se.Code()&0xff == sqliteConstraint {
		return &constraintError{err: err}
	}
	return err
}
