package runtime

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// D1-only models (storage = "d1") keep every field in their D1 row and
// have no KV side: Save, Get, Delete, Restore and queries run one D1
// statement each and make no KV call. Their keys may be integers (INTEGER
// PRIMARY KEY: D1 assigns the key of a create without one) or composite
// (primary_key = ["org_id", "user_id"]); see Key. A create or update
// reads its row back (RETURNING), so the record holds the values D1
// filled in: the key it assigned, sql_default columns, triggers' work.

// Key names a record by its primary key columns: Key{"id": 7} or
// Key{"org_id": 1, "user_id": 2}. Every key column must be given, with a
// value of the field's type.
type Key map[string]any

// GetKey is Get by a Key; the only way to read a record of a model with a
// composite primary key.
func (h *Handle) GetKey(ctx context.Context, model string, key Key, opts ...ReadOption) (*Record, error) {
	var cfg readConfig
	for _, o := range opts {
		o(&cfg)
	}
	m, err := h.ds.model(model)
	if err != nil {
		return nil, err
	}
	r := &Record{h: h, m: m}
	if err := h.loadKey(ctx, r, key, cfg.deleted, "get"); err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateKey is Update by a Key.
func (h *Handle) UpdateKey(ctx context.Context, model string, key Key, changes map[string]any) (*Record, error) {
	r, err := h.GetKey(ctx, model, key)
	if err != nil {
		return nil, err
	}
	r.SetAll(changes)
	if err := r.Save(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteKey is Delete by a Key.
func (h *Handle) DeleteKey(ctx context.Context, model string, key Key) error {
	m, err := h.ds.model(model)
	if err != nil {
		return fmt.Errorf("delete %s: %w", model, err)
	}
	r := &Record{h: h, m: m}
	if err := h.loadKey(ctx, r, key, false, "delete"); err != nil {
		return err
	}
	return r.Delete(ctx)
}

// RestoreKey is Restore by a Key.
func (h *Handle) RestoreKey(ctx context.Context, model string, key Key) error {
	m, err := h.ds.model(model)
	if err != nil {
		return fmt.Errorf("restore %s: %w", model, err)
	}
	r := &Record{h: h, m: m}
	if err := h.loadKey(ctx, r, key, true, "restore"); err != nil {
		return err
	}
	return r.Restore(ctx)
}

// Key returns the record's primary key columns and their values (nil
// values for a new record that has none yet).
func (r *Record) Key() Key {
	if r.m == nil {
		return nil
	}
	k := make(Key, len(r.m.pks))
	for _, p := range r.m.pks {
		k[p] = r.data[p]
	}
	return k
}

// loadKey reads the record key names into r.
func (h *Handle) loadKey(ctx context.Context, r *Record, key Key, deleted bool, verb string) error {
	m := r.m
	args, label, err := m.keyArgs(key)
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, m.name, err)
	}
	if !m.d1only {
		return h.load(ctx, r, label, deleted, verb)
	}
	return h.loadD1(ctx, r, args, label, deleted, verb)
}

// keyArgs checks a Key against the model's key columns: the values in key
// order, normalized to the fields' types, and the key's label (see
// keyLabel).
func (m *model) keyArgs(key Key) ([]any, string, error) {
	args := make([]any, len(m.pks))
	for i, p := range m.pks {
		v, ok := key[p]
		if !ok || v == nil {
			return nil, "", fmt.Errorf("%w: the key has no %s (the key of %s is %s)", ErrInvalid, p, m.name, strings.Join(m.pks, ", "))
		}
		nv, msg := normalize(m.fields[p].Type, v)
		if msg != "" {
			return nil, "", fmt.Errorf("%w: key %s %s", ErrInvalid, p, msg)
		}
		args[i] = nv
	}
	for k := range key {
		if !slices.Contains(m.pks, k) {
			return nil, "", fmt.Errorf("%w: %s is not a key column of %s (the key is %s)", ErrInvalid, k, m.name, strings.Join(m.pks, ", "))
		}
	}
	return args, m.keyLabel(args), nil
}

// idArgs turns the id string of Get, Update and Delete into key values:
// the text itself, or a decimal integer for an integer key. A model with a
// composite key is read by Key (GetKey).
func (m *model) idArgs(id string) ([]any, error) {
	switch {
	case len(m.pks) > 1:
		return nil, fmt.Errorf("%w: %s has a composite primary key (%s): use GetKey, UpdateKey, DeleteKey", ErrInvalid, m.name, strings.Join(m.pks, ", "))
	case m.intKey:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: the key of %s is an integer", ErrNotFound, m.name)
		}
		return []any{n}, nil
	}
	return []any{id}, nil
}

// keyLabel is how logs, errors and Record.ID name a key: the text or the
// decimal integer of a single key, the parts joined by "/" for a
// composite one.
func (m *model) keyLabel(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = idText(v)
	}
	return strings.Join(parts, "/")
}

// idText is a key value as text: the string, or the decimal integer.
func idText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return ""
	}
	if n, ok := toInt64(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprint(v)
}

// idOf returns the key label of a record's data.
func (m *model) idOf(data map[string]any) string {
	if len(m.pks) == 1 {
		return idText(data[m.pk])
	}
	vals := make([]any, len(m.pks))
	for i, p := range m.pks {
		vals[i] = data[p]
		if vals[i] == nil {
			return ""
		}
	}
	return m.keyLabel(vals)
}

// typedID turns a KV object's id back into the key's Go value: the text,
// or an int64 for an integer key.
func (m *model) typedID(id string) any {
	if m.intKey {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			return n
		}
	}
	return id
}

// dbFills reports whether D1 gives the field its value when a create
// leaves it unset: a column with an SQL default, or the rowid key.
func (m *model) dbFills(f *hclspec.Field) bool {
	return f.SQL.Default != "" || (m.autoKey && f.Name == m.pk)
}

// loadD1 reads the row with the key values args.
func (h *Handle) loadD1(ctx context.Context, r *Record, args []any, label string, deleted bool, verb string) (err error) {
	m := r.m
	start := time.Now()
	ctx = opContext(ctx)
	defer func() { h.ds.logOp(ctx, "get", m.name, label, start, "found", err) }()
	if err := h.checkScope(); err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, label, err)
	}
	conds := make([]string, len(m.pks))
	for i := range m.pks {
		conds[i] = "t." + backend.QuoteIdent(m.pks[i]) + " = ?"
	}
	st := backend.Stmt{SQL: "SELECT " + m.selectCols + m.from + " WHERE " + strings.Join(conds, " AND "), Args: args}
	res, err := h.ds.d1.Query(ctx, st)
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, label, notMigrated(err))
	}
	if len(res.Rows) == 0 {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, label, ErrNotFound)
	}
	data, err := m.rowData(res.Rows[0])
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, label, err)
	}
	if !h.canSee(m, data) || (!deleted && m.soft && data["deleted_at"] != nil) {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, label, ErrNotFound)
	}
	r.stored(data)
	return nil
}

// rowData turns a row of the model's columns (cols order) into a record.
func (m *model) rowData(row []any) (map[string]any, error) {
	if len(row) != len(m.cols) {
		return nil, fmt.Errorf("row of %d columns, want %d", len(row), len(m.cols))
	}
	data := make(map[string]any, len(m.cols))
	for i, f := range m.cols {
		data[f.Name] = fromColumn(f.Type, row[i])
	}
	return data, nil
}

// colValue is what D1 stores for column i: toColumn's value, with a
// timestamp in a column declared DATETIME (or another SQL type) in
// SQLite's text form, as CURRENT_TIMESTAMP writes it.
func (m *model) colValue(i int, v any) (any, error) {
	f := m.cols[i]
	cv, err := toColumn(f.Type, v)
	if err != nil || !m.sqlTime[i] {
		return cv, err
	}
	if s, ok := cv.(string); ok {
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if m.sqlDate[i] && ts.UTC().Equal(ts.UTC().Truncate(24*time.Hour)) {
				// A DATE column holds a day as CURRENT_DATE writes it.
				return ts.UTC().Format("2006-01-02"), nil
			}
			return sqliteTime(ts), nil
		}
	}
	return cv, nil
}

// sqlDateType reports whether a declared SQL type names a date without a
// time (DATE, not DATETIME or TIMESTAMP).
func sqlDateType(t string) bool {
	u := strings.ToUpper(t)
	return strings.Contains(u, "DATE") && !strings.Contains(u, "TIME")
}

// sqlTimeType reports whether a timestamp field's declared SQL type makes
// its column hold SQLite's date text: DATETIME, TIMESTAMP, DATE (a type
// naming DATE or TIME).
func sqlTimeType(t string) bool {
	u := strings.ToUpper(t)
	return strings.Contains(u, "DATE") || strings.Contains(u, "TIME")
}

// sqliteTime formats t as SQLite's date functions and CURRENT_TIMESTAMP
// do: "2006-01-02 15:04:05" in UTC, with milliseconds only when there are
// any. Such strings sort by time, among themselves and with
// CURRENT_TIMESTAMP's.
func sqliteTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1e6 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000")
}

// parseSQLiteTime reads SQLite's date text ("2006-01-02 15:04:05", with
// optional fraction, or a bare date), which is UTC.
func parseSQLiteTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if ts, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return ts, true
		}
	}
	return time.Time{}, false
}

// createD1 is the write of a create of a D1-only model: one INSERT that
// never replaces a row, reading the row back (a taken key is ErrConflict).
func (h *Handle) createD1(ctx context.Context, m *model, data map[string]any) (map[string]any, error) {
	st, err := m.insertStmt(data, true)
	if err != nil {
		return nil, err
	}
	label := m.idOf(data)
	res, err := h.ds.d1.Query(ctx, st)
	if err != nil {
		return nil, m.d1WriteError("save", label, err)
	}
	if len(res.Rows) == 0 {
		return nil, fmt.Errorf("create %s %s: %w", m.name, label, ErrConflict)
	}
	return m.rowData(res.Rows[0])
}

// insertStmt is the INSERT of a new D1-only record, RETURNING its row.
// Columns left nil are not named, so D1 gives them their SQL default (or
// assigns the rowid key). With keep, a taken key inserts nothing (no row
// returned); without, it fails as a constraint (a bulk batch then writes
// nothing). It is not Idempotent: a replay of an INSERT whose key D1
// assigns would make a second row.
func (m *model) insertStmt(data map[string]any, keep bool) (backend.Stmt, error) {
	var names []string
	var args []any
	size := 0
	for i, f := range m.cols {
		v := data[f.Name]
		if v == nil {
			continue
		}
		cv, err := m.colValue(i, v)
		if err != nil {
			return backend.Stmt{}, fmt.Errorf("create %s: encode column %s: %w: %v", m.name, f.Name, ErrInvalid, err)
		}
		names = append(names, backend.QuoteIdent(f.Name))
		args = append(args, cv)
		size += columnSize(cv)
	}
	if size > backend.MaxRowBytes {
		return backend.Stmt{}, fmt.Errorf("create %s %s: %w: D1 row is %d bytes, over the %d-byte row limit", m.name, m.idOf(data), ErrTooLarge, size, backend.MaxRowBytes)
	}
	if len(names) == 0 {
		return backend.Stmt{SQL: "INSERT INTO " + m.table + " DEFAULT VALUES" + m.returning}, nil
	}
	sql := "INSERT INTO " + m.table + " (" + strings.Join(names, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")"
	if keep {
		target := make([]string, len(m.pks))
		for i, p := range m.pks {
			target[i] = backend.QuoteIdent(p)
		}
		sql += " ON CONFLICT (" + strings.Join(target, ", ") + ") DO NOTHING"
	}
	return backend.Stmt{SQL: sql + m.returning, Args: args}, nil
}

// updateD1 writes the changed columns of a D1-only record (and
// updated_at), reading the row back. A row gone meanwhile is ErrNotFound.
func (h *Handle) updateD1(ctx context.Context, verb string, m *model, data, orig map[string]any, changes map[string]any) (map[string]any, error) {
	label := m.idOf(orig)
	st, ok, err := m.updateStmt(verb, data, orig, changes)
	if err != nil || !ok {
		return data, err
	}
	res, err := h.ds.d1.Query(ctx, st)
	if err != nil {
		return nil, m.d1WriteError(verb, label, err)
	}
	if len(res.Rows) == 0 {
		return nil, fmt.Errorf("%s %s %s: %w (deleted meanwhile)", verb, m.name, label, ErrNotFound)
	}
	return m.rowData(res.Rows[0])
}

// updateStmt is the UPDATE of the changed columns of a D1-only record
// (and updated_at), RETURNING its row; ok is false when nothing changed.
// Only the changed columns are written, so concurrent updates of
// different fields of one record both stay.
func (m *model) updateStmt(verb string, data, orig, changes map[string]any) (backend.Stmt, bool, error) {
	label := m.idOf(orig)
	var set []string
	var args []any
	size := 0
	for i, f := range m.cols {
		_, changed := changes[f.Name]
		if !changed && (f.Name != "updated_at" || !m.timestamps) {
			continue
		}
		cv, err := m.colValue(i, data[f.Name])
		if err != nil {
			return backend.Stmt{}, false, fmt.Errorf("%s %s %s: encode column %s: %w: %v", verb, m.name, label, f.Name, ErrInvalid, err)
		}
		set = append(set, backend.QuoteIdent(f.Name)+" = ?")
		args = append(args, cv)
		size += columnSize(cv)
	}
	if size > backend.MaxRowBytes {
		return backend.Stmt{}, false, fmt.Errorf("%s %s %s: %w: D1 row is over the %d-byte row limit", verb, m.name, label, ErrTooLarge, backend.MaxRowBytes)
	}
	if len(set) == 0 {
		return backend.Stmt{}, false, nil
	}
	for _, p := range m.pks {
		args = append(args, orig[p])
	}
	sql := "UPDATE " + m.table + " SET " + strings.Join(set, ", ") + " WHERE " + m.keyWhere + m.returning
	return backend.Stmt{SQL: sql, Args: args, Idempotent: true}, true, nil
}

// writeManyD1 writes staged records of D1-only models: MaxBatchStatements
// statements per D1 batch, each batch one transaction (a refused row, a
// taken key included, rolls its batch back). Records are stored with the
// rows D1 returned.
func (h *Handle) writeManyD1(ctx context.Context, st []*staged) error {
	for start := 0; start < len(st); start += MaxBatchStatements {
		part := st[start:min(start+MaxBatchStatements, len(st))]
		sts := make([]backend.Stmt, 0, len(part))
		owners := make([]*staged, 0, len(part))
		for _, s := range part {
			m := s.r.m
			var stm backend.Stmt
			var err error
			if s.ev.Op == OpCreate {
				stm, err = m.insertStmt(s.ev.Data, false)
			} else {
				var ok bool
				if stm, ok, err = m.updateStmt("save", s.ev.Data, s.r.orig, s.ev.Changes); err == nil && !ok {
					continue
				}
			}
			if err != nil {
				return err
			}
			sts = append(sts, stm)
			owners = append(owners, s)
		}
		if len(sts) == 0 {
			continue
		}
		res, err := h.ds.d1.Batch(ctx, sts)
		if err != nil {
			ids := make([]string, len(owners))
			for i, s := range owners {
				ids[i] = s.ev.ID
			}
			if errors.Is(err, backend.ErrConstraint) {
				c := constraintName(err)
				ce := &ConstraintError{Op: "save", Model: owners[0].r.m.name, IDs: ids, Constraint: c, Fields: owners[0].r.m.constraintFields(c), Err: err, d1only: true}
				if start > 0 {
					return fmt.Errorf("save many: the first %d records were written, then: %w", start, ce)
				}
				return ce
			}
			return fmt.Errorf("save many: %d records written, then d1 batch: %w", start, notMigrated(err))
		}
		for i, s := range owners {
			if len(res[i].Rows) == 0 {
				return fmt.Errorf("save %s %s: %w (deleted meanwhile)", s.r.m.name, s.ev.ID, ErrNotFound)
			}
			row, err := s.r.m.rowData(res[i].Rows[0])
			if err != nil {
				return err
			}
			s.ev.Data = row
			s.ev.ID = s.r.m.idOf(row)
		}
	}
	return nil
}

// deleteD1 removes the row of a D1-only record.
func (h *Handle) deleteD1(ctx context.Context, m *model, orig map[string]any) error {
	label := m.idOf(orig)
	args := make([]any, len(m.pks))
	for i, p := range m.pks {
		args[i] = orig[p]
	}
	if _, err := h.ds.d1.Query(ctx, backend.Stmt{SQL: m.deleteSQL, Args: args, Idempotent: true}); err != nil {
		return m.d1WriteError("delete", label, err)
	}
	return nil
}

// d1WriteError is a refused D1 write: a constraint (UNIQUE, CHECK,
// FOREIGN KEY, NOT NULL) is a *ConstraintError, anything else wraps the
// D1 error.
func (m *model) d1WriteError(verb, label string, err error) error {
	if errors.Is(err, backend.ErrConstraint) {
		c := constraintName(err)
		return &ConstraintError{Op: verb, Model: m.name, IDs: []string{label}, Constraint: c, Fields: m.constraintFields(c), Err: err, d1only: true}
	}
	return fmt.Errorf("%s %s %s: d1: %w", verb, m.name, label, notMigrated(err))
}

// restoreKeys puts the key values of keys back into data after a before
// hook: hooks cannot change a record's key.
func (m *model) restoreKeys(data, keys map[string]any) {
	for _, p := range m.pks {
		if v, ok := keys[p]; ok {
			data[p] = v
		} else {
			delete(data, p)
		}
	}
}

// keyValues copies the key columns of data.
func (m *model) keyValues(data map[string]any) map[string]any {
	out := make(map[string]any, len(m.pks))
	for _, p := range m.pks {
		if v, ok := data[p]; ok {
			out[p] = v
		}
	}
	return out
}

// decodeBlobs turns the base64 text of blob fields in a decoded KV object
// into []byte. A value that is not base64 text is kept as stored.
func (m *model) decodeBlobs(data map[string]any) {
	for _, name := range m.blobs {
		if s, ok := data[name].(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				data[name] = b
			}
		}
	}
}

// A model with a KV side writes KV before D1, so it cannot read back what
// D1 would fill in: a column's sql_default is evaluated before the write
// instead, so the KV object and the row hold the same value. Literals
// and CURRENT_TIMESTAMP, CURRENT_DATE and CURRENT_TIME (on the Datastore's
// clock) are evaluated in Go; any other expression by D1, in one SELECT
// before the write.

// sqlDefault is a parsed sql_default.
type sqlDefault struct {
	field *hclspec.Field
	lit   any    // the literal's value, when clock and expr are empty
	clock string // "timestamp", "date", "time"
	expr  string // an expression D1 evaluates
}

// parseSQLDefault reads the sql_default of f.
func parseSQLDefault(f *hclspec.Field) sqlDefault {
	d := sqlDefault{field: f}
	s := strings.TrimSpace(f.SQL.Default)
	for len(s) > 1 && s[0] == '(' && s[len(s)-1] == ')' && !strings.ContainsAny(s[1:len(s)-1], "()") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	switch u := strings.ToUpper(s); {
	case u == "CURRENT_TIMESTAMP":
		d.clock = "timestamp"
	case u == "CURRENT_DATE":
		d.clock = "date"
	case u == "CURRENT_TIME":
		d.clock = "time"
	case u == "NULL":
	case u == "TRUE":
		d.lit = int64(1)
	case u == "FALSE":
		d.lit = int64(0)
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' && !strings.Contains(strings.ReplaceAll(s[1:len(s)-1], "''", ""), "'"):
		d.lit = strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	default:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			d.lit = n
		} else if x, err := strconv.ParseFloat(s, 64); err == nil {
			d.lit = x
		} else {
			d.expr = s
		}
	}
	return d
}

// value is the Go value of a literal or clock default for the field.
func (d sqlDefault) value(now time.Time) any {
	now = now.UTC()
	switch d.clock {
	case "timestamp":
		if d.field.Type == hclspec.Timestamp {
			return FormatTime(now.Truncate(time.Second))
		}
		return sqliteTime(now.Truncate(time.Second))
	case "date":
		// A timestamp field reads SQLite's bare date as its midnight.
		return fromColumn(d.field.Type, now.Format("2006-01-02"))
	case "time":
		return now.Format("15:04:05")
	}
	return fromColumn(d.field.Type, d.lit)
}

// fillSQLDefaults gives the unset fields of a new record of a model with
// a KV side their sql_default: literals and the clock here; expressions
// in one D1 SELECT (only when one is unset).
func (h *Handle) fillSQLDefaults(ctx context.Context, m *model, data map[string]any) error {
	var exprs []sqlDefault
	for _, d := range m.sqlDefaults {
		if data[d.field.Name] != nil {
			continue
		}
		if d.expr != "" {
			exprs = append(exprs, d)
			continue
		}
		data[d.field.Name] = d.value(h.ds.now())
	}
	if len(exprs) == 0 {
		return nil
	}
	parts := make([]string, len(exprs))
	for i, d := range exprs {
		parts[i] = "(" + d.expr + ")"
	}
	res, err := h.ds.d1.Query(ctx, backend.Stmt{SQL: "SELECT " + strings.Join(parts, ", ")})
	if err != nil {
		return fmt.Errorf("evaluate sql_default: %w", notMigrated(err))
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != len(exprs) {
		return errors.New("evaluate sql_default: unexpected result")
	}
	for i, d := range exprs {
		data[d.field.Name] = fromColumn(d.field.Type, res.Rows[0][i])
	}
	return nil
}
