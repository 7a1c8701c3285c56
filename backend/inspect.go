package backend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dmplan/dmplan/state"
)

// IsInternalTable reports whether a table belongs to SQLite, to D1 or
// wrangler, or to dmplan itself, and so is never inspected, planned or
// touched: sqlite_*, _cf_*, d1_migrations and _dmplan_*. It is
// state.IsInternalTable, here for callers that hold a backend.
func IsInternalTable(name string) bool { return state.IsInternalTable(name) }

// Inspect reads the live schema of a D1 database and the KV namespaces of
// its account. It takes at most two D1 requests whatever the number of
// tables: one read of sqlite_master, then one batch of plain statements
// (D1 refuses the table-valued pragma functions): PRAGMA table_info per
// table, one row probe per hasRowsChunk tables, and PRAGMA index_info only
// for the indexes whose CREATE INDEX text it cannot read for sure (a key
// that may be the rowid, a name spelled as a string). Indexes carry their
// keys' order, collation and expression and their WHERE clause
// (state.Index), so a hand-made change to an index shows in the plan.
// kv may be nil, in which case no namespaces are listed.
func Inspect(ctx context.Context, d1 D1, kv KV) (*state.Schema, error) {
	return InspectWith(ctx, d1, kv)
}

// InspectWith is Inspect that also runs the probes' reads in its second
// request (see Probe), so a caller that needs them pays no round trip.
func InspectWith(ctx context.Context, d1 D1, kv KV, probes ...*Probe) (*state.Schema, error) {
	master, err := d1.Query(ctx, Stmt{SQL: "SELECT type, name, tbl_name, sql FROM sqlite_master"})
	if err != nil {
		return nil, fmt.Errorf("inspect sqlite_master: %w", err)
	}
	var tables []*state.Table
	byName := map[string]*state.Table{}
	noRowid := map[*state.Table]bool{}
	createSQL := map[*state.Table]string{}
	var indexes []masterIndex
	present := map[string]bool{} // every table, internal ones included
	for _, row := range master.Rows {
		if len(row) < 4 {
			return nil, fmt.Errorf("inspect sqlite_master: row of %d columns", len(row))
		}
		kind, name, tbl := asString(row[0]), asString(row[1]), asString(row[2])
		switch kind {
		case "table":
			present[name] = true
			if IsInternalTable(name) {
				continue
			}
			t := &state.Table{Name: name, Rows: -1, Columns: []*state.Column{}, Indexes: []*state.Index{}}
			if sql := strings.ToUpper(asString(row[3])); strings.Contains(sql, "ROWID") || strings.Contains(sql, "OID") {
				// WITHOUT ROWID, or a column that may shadow rowid: no
				// row count bound is read.
				noRowid[t] = true
			}
			createSQL[t] = asString(row[3])
			tables = append(tables, t)
			byName[name] = t
		case "index":
			// Automatic indexes (primary keys, UNIQUE constraints) have no
			// text and are not shown.
			if IsInternalTable(tbl) || strings.HasPrefix(name, "sqlite_autoindex_") || row[3] == nil || tbl == "" {
				continue
			}
			indexes = append(indexes, masterIndex{name: name, table: tbl, sql: asString(row[3])})
		}
	}
	slices.SortFunc(tables, func(a, b *state.Table) int { return cmp.Compare(a.Name, b.Name) })
	indexes = slices.DeleteFunc(indexes, func(ix masterIndex) bool { return byName[ix.table] == nil })
	slices.SortFunc(indexes, func(a, b masterIndex) int { return cmp.Compare(a.name, b.name) })

	asked := askProbes(probes, present)
	if len(tables) > 0 || len(asked) > 0 {
		if err := inspectTables(ctx, d1, tables, byName, noRowid, indexes, asked); err != nil {
			return nil, err
		}
	}

	for _, t := range tables {
		if p, ok := parseTableSQL(createSQL[t]); ok {
			applyTableSQL(t, p)
		}
	}
	markShadows(tables)

	schema := &state.Schema{Tables: tables, Namespaces: []*state.Namespace{}}
	if schema.Tables == nil {
		schema.Tables = []*state.Table{}
	}
	if kv != nil {
		nss, err := kv.Namespaces(ctx)
		if err != nil {
			return nil, fmt.Errorf("inspect kv namespaces: %w", err)
		}
		for _, ns := range nss {
			schema.Namespaces = append(schema.Namespaces, &state.Namespace{Title: ns.Title, ID: ns.ID})
		}
	}
	schema.Sort()
	return schema, nil
}

// masterIndex is an index as sqlite_master lists it.
type masterIndex struct {
	name, table, sql string
}

// hasRowsChunk is how many tables one row probe covers: two result columns
// each, under D1's limit of 100 columns.
const hasRowsChunk = 40

// inspectTables fills columns, indexes, HasRows and RowsAtMost, and runs
// the asked probes, with one batch.
func inspectTables(ctx context.Context, d1 D1, tables []*state.Table, byName map[string]*state.Table, noRowid map[*state.Table]bool, indexes []masterIndex, probes []*Probe) error {
	sts := make([]Stmt, 0, len(tables)+len(tables)/hasRowsChunk+1+len(probes))
	for _, t := range tables {
		sts = append(sts, Stmt{SQL: "PRAGMA table_info(" + QuoteIdent(t.Name) + ")"})
	}
	for i := 0; i < len(tables); i += hasRowsChunk {
		sts = append(sts, Stmt{SQL: hasRowsSQL(tables[i:min(i+hasRowsChunk, len(tables))], noRowid)})
	}
	parsed := make([]parsedIndex, len(indexes))
	asked := map[int]int{} // index in indexes -> its PRAGMA index_xinfo in sts
	for i, ix := range indexes {
		p, ok := parseIndexSQL(ix.sql)
		if !ok {
			p = parsedIndex{unique: p.unique}
		}
		parsed[i] = p
		if !p.exact {
			asked[i] = len(sts)
			sts = append(sts, Stmt{SQL: "PRAGMA index_xinfo(" + QuoteIdent(ix.name) + ")"})
		}
	}
	firstProbe := len(sts)
	for _, p := range probes {
		sts = append(sts, p.Stmt)
	}
	res, err := d1.Batch(ctx, sts)
	if err != nil {
		return fmt.Errorf("inspect %d tables: %w", len(tables), err)
	}
	if len(res) != len(sts) {
		return fmt.Errorf("inspect %d tables: %d results for %d statements", len(tables), len(res), len(sts))
	}
	for i, r := range res {
		if r == nil {
			return fmt.Errorf("inspect %d tables: no result for %q", len(tables), sts[i].SQL)
		}
	}
	for i, t := range tables {
		cols, err := tableColumns(res[i])
		if err != nil {
			return fmt.Errorf("inspect table %s: %w", t.Name, err)
		}
		t.Columns = cols
	}
	for c := 0; c*hasRowsChunk < len(tables); c++ {
		r := res[len(tables)+c]
		if len(r.Rows) == 0 {
			continue
		}
		row := r.Rows[0]
		chunk := tables[c*hasRowsChunk : min((c+1)*hasRowsChunk, len(tables))]
		for j, t := range chunk {
			if j < len(row) {
				t.HasRows = asInt(row[j]) != 0
			}
			// The highest rowid bounds the row count (rowids are never
			// below 1 and deletes leave gaps): read at the cost of one row.
			if k := len(chunk) + j; k < len(row) && !noRowid[t] {
				t.RowsAtMost = max(asInt(row[k]), 0)
			}
		}
	}
	for i, ix := range indexes {
		t := byName[ix.table]
		p := parsed[i]
		out := &state.Index{Name: ix.name, Unique: p.unique, Where: p.where}
		if k, ok := asked[i]; ok {
			out.Columns, out.Keys = indexXInfo(res[k], p)
		} else {
			out.Columns, out.Keys = columnKeys(t, p)
		}
		if !slices.ContainsFunc(out.Keys, func(k state.IndexKey) bool { return k != state.IndexKey{} }) {
			out.Keys = nil
		}
		t.Indexes = append(t.Indexes, out)
	}
	for i, p := range probes {
		p.Result = res[firstProbe+i]
	}
	return nil
}

// hasRowsSQL probes tables for rows in one statement that returns one row:
// a 1 or 0 column per table, in order, then per table its highest rowid
// (NULL when empty; 0 for the tables of noRowid, whose rowid is not read).
func hasRowsSQL(tables []*state.Table, noRowid map[*state.Table]bool) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, t := range tables {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("EXISTS(SELECT 1 FROM ")
		b.WriteString(QuoteIdent(t.Name))
		b.WriteString(")")
	}
	for _, t := range tables {
		if noRowid[t] {
			b.WriteString(", 0")
			continue
		}
		b.WriteString(", (SELECT MAX(rowid) FROM ")
		b.WriteString(QuoteIdent(t.Name))
		b.WriteString(")")
	}
	return b.String()
}

// asciiEqualFold is SQLite's comparison of names: equal but for the case
// of ASCII letters.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// tableColumns reads PRAGMA table_info: cid, name, type, notnull,
// dflt_value, pk.
func tableColumns(r *Result) ([]*state.Column, error) {
	at := columnIndex(r)
	cols := make([]*state.Column, 0, len(r.Rows))
	type withCID struct {
		cid, pk int64
		col     *state.Column
	}
	ordered := make([]withCID, 0, len(r.Rows))
	for _, row := range r.Rows {
		get := func(name string) any {
			if j, ok := at[name]; ok && j < len(row) {
				return row[j]
			}
			return nil
		}
		name := asString(get("name"))
		if name == "" {
			return nil, fmt.Errorf("table_info row without a column name")
		}
		c := &state.Column{
			Name:    name,
			Type:    strings.ToUpper(strings.TrimSpace(asString(get("type")))),
			NotNull: asInt(get("notnull")) != 0,
			PK:      asInt(get("pk")) != 0,
		}
		if d := get("dflt_value"); d != nil {
			c.Default = asString(d)
		}
		ordered = append(ordered, withCID{cid: asInt(get("cid")), pk: asInt(get("pk")), col: c})
	}
	slices.SortStableFunc(ordered, func(a, b withCID) int { return cmp.Compare(a.cid, b.cid) })
	keyCols := 0
	for _, o := range ordered {
		cols = append(cols, o.col)
		if o.col.PK {
			keyCols++
		}
	}
	if keyCols > 1 {
		// A composite key: pk is each column's position in it.
		for _, o := range ordered {
			if o.col.PK {
				o.col.KeySeq = int(o.pk)
			}
		}
	}
	return cols, nil
}

// indexXInfo reads PRAGMA index_xinfo: seqno, cid, name, desc, coll, key,
// in seqno order, keeping the key columns (key = 1). A key that is an
// expression (cid -2) has no name: it is "<expr>", its text taken from p
// when parseIndexSQL read the same number of keys. The collation is what
// SQLite uses, BINARY left out.
func indexXInfo(r *Result, p parsedIndex) ([]string, []state.IndexKey) {
	at := columnIndex(r)
	type part struct {
		seq  int64
		name string
		key  state.IndexKey
	}
	parts := make([]part, 0, len(r.Rows))
	for _, row := range r.Rows {
		get := func(name string) any {
			if j, ok := at[name]; ok && j < len(row) {
				return row[j]
			}
			return nil
		}
		if _, ok := at["key"]; ok && asInt(get("key")) == 0 {
			continue
		}
		pt := part{seq: asInt(get("seqno")), name: asString(get("name"))}
		pt.key.Desc = asInt(get("desc")) != 0
		if c := strings.ToUpper(asString(get("coll"))); c != "BINARY" {
			pt.key.Collate = c
		}
		if get("name") == nil {
			pt.name = "<expr>"
			pt.key.Expr = "<expr>"
		}
		parts = append(parts, pt)
	}
	slices.SortStableFunc(parts, func(a, b part) int { return cmp.Compare(a.seq, b.seq) })
	cols := make([]string, len(parts))
	keys := make([]state.IndexKey, len(parts))
	for i, pt := range parts {
		cols[i], keys[i] = pt.name, pt.key
		if pt.key.Expr != "" && len(p.keys) == len(parts) && p.keys[i].Expr != "" {
			keys[i].Expr = p.keys[i].Expr
		}
	}
	return cols, keys
}

// columnKeys returns the keys parseIndexSQL read, columns in the table's
// spelling (as PRAGMA index_info gives them: SQLite matches names ignoring
// ASCII case). A double-quoted word that names no column is a string to
// SQLite, so that key is an expression.
func columnKeys(t *state.Table, p parsedIndex) ([]string, []state.IndexKey) {
	cols := make([]string, len(p.columns))
	keys := append([]state.IndexKey(nil), p.keys...)
	for i, n := range p.columns {
		if keys[i].Expr != "" {
			cols[i] = "<expr>"
			continue
		}
		cols[i] = ""
		for _, c := range t.Columns {
			if asciiEqualFold(c.Name, n) {
				cols[i] = c.Name
				break
			}
		}
		if cols[i] == "" {
			cols[i] = "<expr>"
			keys[i].Expr = "'" + strings.ReplaceAll(n, "'", "''") + "'"
		}
	}
	return cols, keys
}

func columnIndex(r *Result) map[string]int {
	at := make(map[string]int, len(r.Columns))
	for i, c := range r.Columns {
		at[strings.ToLower(c)] = i
	}
	return at
}

// asString turns a result value into text whatever the backend returned.
func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// asInt turns a result value into an integer whatever the backend returned
// (D1 over JSON may give floats or numeric strings).
func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	case []byte:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return n
	}
	return 0
}
