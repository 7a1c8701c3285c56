package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// This file is the low-level surface the operator side (package operator:
// initialize, seeds, backfill, reconcile) builds on: the stores, the
// clock and logger, and for each model how a KV object projects to its D1
// row. A service needs none of it: its reads and writes go through a
// Handle, which keeps KV and D1 consistent. Writing the stores directly
// bypasses validation, hooks and the KV-first order.

// D1 returns the D1 database the Datastore writes to.
func (ds *Datastore) D1() backend.D1 { return ds.d1 }

// KV returns the KV store the Datastore writes to.
func (ds *Datastore) KV() backend.KV { return ds.kv }

// Logger returns the Datastore's logger (WithLogger).
func (ds *Datastore) Logger() *slog.Logger { return ds.log }

// Now returns the time on the Datastore's clock (WithClock).
func (ds *Datastore) Now() time.Time { return ds.now() }

// Environment returns the environment the Datastore was opened for
// (WithEnvironment).
func (ds *Datastore) Environment() string { return ds.env }

// LogOp logs one operation the way the runtime logs its own, as
// "runtime.<op>" with the model, id, duration and outcome: debug when it
// succeeded, warn when validation or a hook refused it, error when it
// failed. Never pass field values.
func (ds *Datastore) LogOp(ctx context.Context, op, model, id string, start time.Time, outcome string, err error) {
	ds.logOp(ctx, op, model, id, start, outcome, err)
}

// NotMigrated marks a store error that means the schema was not applied
// (a missing table or column in D1, a missing KV namespace) with
// ErrNotMigrated, and returns other errors as they are.
func NotMigrated(err error) error { return notMigrated(err) }

// ConstraintName extracts "UNIQUE constraint failed: t.c" (the kind and
// the columns, never a value) from a D1 error, or "constraint failed".
func ConstraintName(err error) string { return constraintName(err) }

// Outcome is the word logs use for an error: "invalid", "conflict",
// "not_migrated" and so on, "failed" for others.
func Outcome(err error) string { return outcomeOf(err) }

// EqualValues reports whether two normalized field values are the same
// value (numbers compare by value, objects and arrays deeply).
func EqualValues(a, b any) bool { return equalValues(a, b) }

// Storage is how one model is stored: its D1 columns and row SQL, its KV
// keys and namespace, and the projection of a KV object to its D1 row,
// the same Save uses. See the comment at the top of this file.
type Storage struct {
	ds *Datastore
	m  *model
}

// Storage returns the storage of the model, or an error wrapping
// ErrUnknownModel.
func (ds *Datastore) Storage(model string) (*Storage, error) {
	m, err := ds.model(model)
	if err != nil {
		return nil, err
	}
	return &Storage{ds: ds, m: m}, nil
}

// Model returns the model's name.
func (s *Storage) Model() string { return s.m.name }

// Spec returns the model's Spec.
func (s *Storage) Spec() *hclspec.Model { return s.m.spec }

// PrimaryKey returns the primary key field's name.
func (s *Storage) PrimaryKey() string { return s.m.pk }

// Field returns the field with the name, or nil.
func (s *Storage) Field(name string) *hclspec.Field { return s.m.fields[name] }

// Columns returns the synced fields in D1 column order, the primary key
// first: the order of a projected row. The slice is shared; do not modify it.
func (s *Storage) Columns() []*hclspec.Field { return s.m.cols }

// Column returns the index in Columns of the D1 column with the name, or
// an error wrapping ErrUnknownField that names the model's columns.
func (s *Storage) Column(name string) (int, error) {
	if _, err := s.m.column(name); err != nil {
		return 0, err
	}
	return s.m.colIdx[name], nil
}

// Table returns the quoted D1 table name.
func (s *Storage) Table() string { return s.m.table }

// From returns the FROM clause ` FROM "table" AS t` that SelectColumns
// and QuotedPrimaryKey (prefixed with "t.") go with.
func (s *Storage) From() string { return s.m.from }

// SelectColumns returns t."col", ... in Columns order.
func (s *Storage) SelectColumns() string { return s.m.selectCols }

// QuotedPrimaryKey returns the quoted primary key column.
func (s *Storage) QuotedPrimaryKey() string { return s.m.pkQuoted }

// NamespaceTitle returns the title of the model's KV namespace.
func (s *Storage) NamespaceTitle() string { return s.m.nsTitle }

// Namespace returns the id of the model's KV namespace, listing the
// namespaces when Open did not find it; ErrNotMigrated when it does not
// exist, ErrD1Only for a model without a KV side.
func (s *Storage) Namespace(ctx context.Context) (string, error) {
	if s.m.d1only {
		return "", fmt.Errorf("%w: model %s", ErrD1Only, s.m.name)
	}
	return s.m.namespace(ctx, s.ds.resolveNamespaces)
}

// D1Only reports whether the model has no KV side (storage = "d1").
func (s *Storage) D1Only() bool { return s.m.d1only }

// ErrD1Only is what the KV side of a D1-only model (storage = "d1") gives:
// it has none. It matches ErrInvalid.
var ErrD1Only = fmt.Errorf("%w: the model is D1-only (storage = \"d1\"): it has no KV namespace", ErrInvalid)

// Key returns the KV key of the id, or an error wrapping ErrTooLarge.
func (s *Storage) Key(id string) (string, error) { return s.m.key(id) }

// IDFromKey returns the record id of a KV key of the model, or false when
// the key does not follow the model's key pattern.
func (s *Storage) IDFromKey(key string) (string, bool) { return s.m.idFromKey(key) }

// ColumnValue returns the field value of a D1 value of column i (as
// Columns orders them).
func (s *Storage) ColumnValue(i int, v any) any { return fromColumn(s.m.cols[i].Type, v) }

// ColumnArg returns the D1 argument for a normalized value of the field.
func (s *Storage) ColumnArg(field string, v any) (any, error) {
	f := s.m.fields[field]
	if f == nil {
		return nil, fmt.Errorf("%w: %s has no field %q", ErrUnknownField, s.m.name, field)
	}
	return toColumn(f.Type, v)
}

// Normalize returns the field's value in the runtime's normal form, or
// what is wrong with it ("must be a string", never the value).
func (s *Storage) Normalize(field string, v any) (any, string) {
	f := s.m.fields[field]
	if f == nil {
		return nil, "is not a field of " + s.m.name
	}
	return normalize(f.Type, v)
}

// CheckNew prepares data as a System create would (id, timestamps,
// defaults) and validates it, collecting field problems in the returned
// ValidationError (empty when data is valid). data is modified: pass a
// copy. The error is for what stops the preparation itself.
func (s *Storage) CheckNew(data map[string]any) (*ValidationError, error) {
	ve := &ValidationError{Model: s.m.name}
	if err := s.ds.System().prepareCreate(s.m, data, -1, ve); err != nil {
		return ve, err
	}
	return ve, nil
}

// Project returns the D1 row (in Columns order) of the KV object stored
// under the id: the row Save would write for it. It accepts every object
// the runtime reads and keeps through updates (a value of the wrong type
// or outside an enum projects as stored); the problem (never a field
// value) is for what it cannot read: not a JSON object, a primary key
// naming another id, a value no column can take. See projectRow.
func (s *Storage) Project(id string, raw []byte) ([]any, string) { return s.m.projectRow(id, raw) }

// SameColumnValue reports whether two D1 values of column i (as Columns
// orders them) are the same value: timestamps as instants to the
// millisecond, numbers by value, json and array text parsed, booleans
// 1/0. Another writer's spelling of a value is not drift.
func (s *Storage) SameColumnValue(i int, a, b any) bool { return s.m.sameColumn(i, a, b) }

// Upserts returns the multi-row upserts of rows (each a projected row):
// the statements Save's bulk path sends, at most backend.MaxParams
// parameters each.
func (s *Storage) Upserts(rows [][]any) []backend.Stmt { return s.m.upserts(rows) }

// Rows reads the D1 rows (in Columns order) of the ids, by id; ids
// without a row are absent. It costs one request per 100 ids.
func (s *Storage) Rows(ctx context.Context, ids []string) (map[string][]any, error) {
	return s.ds.rowsByID(ctx, s.m, ids)
}

// RowID returns the record id of a D1 row (in Columns order): the text
// key, or the decimal of an integer key, as Key and Get take it.
func (s *Storage) RowID(row []any) string {
	if len(row) == 0 {
		return ""
	}
	return idText(fromColumn(s.m.cols[0].Type, row[0]))
}

// ObjectFromRow returns the KV object that agrees with the D1 row: raw
// (the stored object; nil for none) with every synced field set to the
// row's value, and the _auth a new record would get when it has none.
// Fields stored in KV only keep raw's values. It is how a person takes
// D1's side for a record whose KV object D1 refuses (dmplan reconcile
// -take-d1), and what a refused save puts back when another process
// overwrote the object it started from.
func (s *Storage) ObjectFromRow(raw []byte, row []any) ([]byte, error) {
	if len(row) != len(s.m.cols) {
		return nil, fmt.Errorf("%s: row of %d columns, want %d", s.m.name, len(row), len(s.m.cols))
	}
	var base map[string]any
	if raw != nil {
		var err error
		if base, err = decodeObject(s.m, raw); err != nil {
			return nil, fmt.Errorf("%s: %w", s.m.name, err)
		}
	}
	return s.m.encode(s.m.rebuild(base, row))
}

// idFromKey returns the record id of a KV key of the model, or false when
// the key does not follow the model's key pattern.
func (m *model) idFromKey(key string) (string, bool) {
	prefix, suffix := m.keyPrefix, m.keySuffix
	if !m.keySplit {
		prefix, suffix = m.spec.KV.Prefix(), ""
	}
	if !strings.HasPrefix(key, prefix) || !strings.HasSuffix(key, suffix) || len(key) < len(prefix)+len(suffix)+1 {
		return "", false
	}
	id := key[len(prefix) : len(key)-len(suffix)]
	if k, err := m.key(id); err != nil || k != key {
		return "", false
	}
	return id, true
}

// upserts returns the multi-row upserts of rows (each the column values
// of one record, as rowArgs makes them): the statement Save's bulk path
// sends, at most backend.MaxParams parameters each.
func (m *model) upserts(rows [][]any) []backend.Stmt { return m.rowStmts(rows, m.upsertTail) }

// rowStmts returns the multi-row statements writing rows, m.rowsPerStm
// rows each (at most backend.MaxParams parameters), ending in tail: the
// upsert or insert tail. They are safe to replay (see put).
func (m *model) rowStmts(rows [][]any, tail string) []backend.Stmt {
	var sts []backend.Stmt
	for from := 0; from < len(rows); from += m.rowsPerStm {
		chunk := rows[from:min(from+m.rowsPerStm, len(rows))]
		var b strings.Builder
		b.Grow(len(m.upsertHead) + len(chunk)*(len(m.rowHolders)+2) + len(tail))
		b.WriteString(m.upsertHead)
		args := make([]any, 0, len(chunk)*len(m.cols))
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.rowHolders)
			args = append(args, row...)
		}
		b.WriteString(tail)
		sts = append(sts, backend.Stmt{SQL: b.String(), Args: args, Idempotent: true})
	}
	return sts
}
