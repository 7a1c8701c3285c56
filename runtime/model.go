package runtime

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// model is a Spec model compiled once at Open: field lookup, column order
// and the SQL every operation uses, so the hot path builds no statements.
type model struct {
	spec   *hclspec.Model
	name   string
	pk     string
	fields map[string]*hclspec.Field
	cols   []*hclspec.Field // synced columns, D1.SyncFields order
	colIdx map[string]int
	ints   []string // integer fields, fixed up after a JSON decode
	// jsonKeys are the encoded object keys of spec.Fields: "name":
	jsonKeys [][]byte
	// sizeHint is the length of the last encoded object; nsID and hooks
	// are pointers too, so a tenant's copy of the model (tenant.go)
	// shares them with the Datastore's and copies no lock.
	sizeHint *atomic.Int64

	owned      bool // user_id column: rows are owned and filtered by user
	auth       bool // _auth array in KV
	timestamps bool
	soft       bool

	table      string // quoted
	selectCols string // t."col", ...: qualified, so a missing column is an error, never a string literal
	pageCols   string // p."col", ...
	pkQuoted   string
	from       string // FROM "table" AS t
	upsertHead string // INSERT INTO t (cols) VALUES
	upsertTail string // ON CONFLICT (pk) DO UPDATE SET ...
	rowHolders string // (?, ?, ...)
	upsert1    string // one-row upsert
	insertTail string // ON CONFLICT (pk) DO NOTHING: a create never replaces a row
	insert1    string // one-row insert of a create with a caller-chosen id
	selectByPK string // the synced columns of the rows with the ids: SELECT ... WHERE pk IN (
	// refusable: the table has a unique index besides the primary key, so
	// D1 can refuse a save's row and the save is compensated.
	refusable bool
	// liveIndexed: an index holds only the rows not soft-deleted (its
	// condition ANDs deleted_at IS NULL, as unique = "live" does). SQLite
	// uses such an index only when the query's WHERE holds that term as
	// written, so the soft-delete filter is never written +deleted_at.
	liveIndexed bool
	// onlyLive holds the indexes of the rows not soft-deleted (see
	// hclspec.Index.OnlyLive), read once here rather than per query.
	onlyLive   map[*hclspec.Index]bool
	deleteSQL  string // hard delete by pk
	rowsPerStm int    // rows per multi-row upsert within MaxParams

	// keyPrefix and keySuffix surround the id in the KV key when the
	// pattern holds one {id}; otherwise keys go through KV.Key.
	keyPrefix, keySuffix string
	keySplit             bool

	nsTitle string
	nsID    *atomic.Pointer[string]

	hooks *hookTable
}

func compileModel(m *hclspec.Model) (*model, error) {
	c := &model{
		spec:   m,
		name:   m.Name,
		pk:     m.PrimaryKey,
		fields: make(map[string]*hclspec.Field, len(m.Fields)),
		colIdx: map[string]int{},

		sizeHint: new(atomic.Int64),
		nsID:     new(atomic.Pointer[string]),
		hooks:    new(hookTable),
	}
	for _, f := range m.Fields {
		c.fields[f.Name] = f
		c.jsonKeys = append(c.jsonKeys, append(appendString(nil, f.Name), ':'))
		if f.Type == hclspec.Integer {
			c.ints = append(c.ints, f.Name)
		}
	}
	c.cols = m.Columns()
	if len(c.cols) == 0 || c.cols[0].Name != m.PrimaryKey {
		// The primary key always leads; be robust to a Spec built by hand.
		cols := []*hclspec.Field{}
		if f := c.fields[m.PrimaryKey]; f != nil {
			cols = append(cols, f)
		}
		for _, f := range c.cols {
			if f.Name != m.PrimaryKey {
				cols = append(cols, f)
			}
		}
		c.cols = cols
	}
	if c.fields[c.pk] == nil {
		return nil, fmt.Errorf("model %s: primary key %q is not a field", m.Name, c.pk)
	}
	if len(c.cols) > backend.MaxParams {
		return nil, fmt.Errorf("model %s: %d synced columns, over the %d bound parameters of one statement: %w",
			m.Name, len(c.cols), backend.MaxParams, ErrTooLarge)
	}
	for i, f := range c.cols {
		c.colIdx[f.Name] = i
	}
	// Queries filter on user_id and deleted_at, so the options need those
	// columns (hclspec always syncs them; a hand-built Spec might not).
	c.owned = m.Options.UserTracking && c.fields["user_id"] != nil
	if _, ok := c.colIdx["user_id"]; c.owned && !ok {
		return nil, fmt.Errorf("model %s: user_tracking needs user_id among the D1 columns", m.Name)
	}
	if _, ok := c.colIdx["deleted_at"]; m.Options.SoftDelete && c.fields["deleted_at"] != nil && !ok {
		return nil, fmt.Errorf("model %s: soft_delete needs deleted_at among the D1 columns", m.Name)
	}
	c.auth = m.Options.Auth
	c.timestamps = m.Options.Timestamps
	c.soft = m.Options.SoftDelete && c.fields["deleted_at"] != nil

	c.table = backend.QuoteIdent(m.D1.Table)
	quoted := make([]string, len(c.cols))
	holders := make([]string, len(c.cols))
	var set []string
	for i, f := range c.cols {
		quoted[i] = backend.QuoteIdent(f.Name)
		holders[i] = "?"
		if f.Name != c.pk {
			set = append(set, quoted[i]+" = excluded."+quoted[i])
		}
	}
	c.selectCols = "t." + strings.Join(quoted, ", t.")
	c.from = " FROM " + c.table + " AS t"
	c.pageCols = "p." + strings.Join(quoted, ", p.")
	c.pkQuoted = quoted[0]
	c.rowHolders = "(" + strings.Join(holders, ", ") + ")"
	c.upsertHead = "INSERT INTO " + c.table + " (" + strings.Join(quoted, ", ") + ") VALUES "
	if len(set) == 0 {
		c.upsertTail = " ON CONFLICT (" + quoted[0] + ") DO NOTHING"
	} else {
		c.upsertTail = " ON CONFLICT (" + quoted[0] + ") DO UPDATE SET " + strings.Join(set, ", ")
	}
	c.upsert1 = c.upsertHead + c.rowHolders + c.upsertTail
	c.insertTail = " ON CONFLICT (" + quoted[0] + ") DO NOTHING"
	c.insert1 = c.upsertHead + c.rowHolders + c.insertTail
	c.selectByPK = "SELECT " + c.selectCols + c.from + " WHERE t." + quoted[0] + " IN ("
	for _, idx := range m.D1.Indexes {
		if idx.Unique {
			c.refusable = true
		}
		if c.soft && idx.OnlyLive() {
			c.liveIndexed = true
			if c.onlyLive == nil {
				c.onlyLive = map[*hclspec.Index]bool{}
			}
			c.onlyLive[idx] = true
		}
	}
	c.deleteSQL = "DELETE FROM " + c.table + " WHERE " + c.table + "." + quoted[0] + " = ?"
	c.rowsPerStm = backend.MaxParams / len(c.cols)
	if strings.Count(m.KV.KeyPattern, "{id}") == 1 {
		i := strings.Index(m.KV.KeyPattern, "{id}")
		c.keyPrefix, c.keySuffix, c.keySplit = m.KV.KeyPattern[:i], m.KV.KeyPattern[i+4:], true
	}
	return c, nil
}

// column returns the synced field with the name, or an error naming the
// model's synced fields.
func (m *model) column(name string) (*hclspec.Field, error) {
	if i, ok := m.colIdx[name]; ok {
		return m.cols[i], nil
	}
	names := make([]string, len(m.cols))
	for i, f := range m.cols {
		names[i] = f.Name
	}
	if m.fields[name] != nil {
		return nil, fmt.Errorf("%w: %s.%s is stored in KV only; queries can use the D1 columns %s",
			ErrUnknownField, m.name, name, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("%w: %s has no D1 column %q; queries can use %s",
		ErrUnknownField, m.name, name, strings.Join(names, ", "))
}

// namespace returns the KV namespace id, resolving it by title through
// resolve when Open did not find it (it may have been applied since).
func (m *model) namespace(ctx context.Context, resolve func(context.Context) error) (string, error) {
	if id := m.nsID.Load(); id != nil {
		return *id, nil
	}
	if err := resolve(ctx); err != nil {
		return "", err
	}
	if id := m.nsID.Load(); id != nil {
		return *id, nil
	}
	return "", fmt.Errorf("%w: KV namespace %s of model %s does not exist", ErrNotMigrated, m.nsTitle, m.name)
}

// key returns the KV key of the id, refusing keys over the platform limit.
func (m *model) key(id string) (string, error) {
	var k string
	if m.keySplit {
		k = m.keyPrefix + id + m.keySuffix
	} else {
		k = m.spec.KV.Key(id)
	}
	if len(k) > backend.MaxKeyBytes {
		return "", fmt.Errorf("%w: %s key is %d bytes, over the %d-byte KV key limit", ErrTooLarge, m.name, len(k), backend.MaxKeyBytes)
	}
	return k, nil
}
