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
// tables: one read of sqlite_master, then one batch of plain PRAGMA
// statements (D1 refuses the table-valued pragma functions) and row probes.
// kv may be nil, in which case no namespaces are listed.
func Inspect(ctx context.Context, d1 D1, kv KV) (*state.Schema, error) {
	master, err := d1.Query(ctx, Stmt{SQL: "SELECT type, name, tbl_name, sql FROM sqlite_master"})
	if err != nil {
		return nil, fmt.Errorf("inspect sqlite_master: %w", err)
	}
	var tables []*state.Table
	byName := map[string]*state.Table{}
	var indexes []string
	for _, row := range master.Rows {
		if len(row) < 4 {
			return nil, fmt.Errorf("inspect sqlite_master: row of %d columns", len(row))
		}
		kind, name, tbl := asString(row[0]), asString(row[1]), asString(row[2])
		switch kind {
		case "table":
			if IsInternalTable(name) {
				continue
			}
			t := &state.Table{Name: name, Rows: -1, Columns: []*state.Column{}, Indexes: []*state.Index{}}
			tables = append(tables, t)
			byName[name] = t
		case "index":
			if IsInternalTable(tbl) || strings.HasPrefix(name, "sqlite_autoindex_") {
				continue
			}
			if tbl != "" {
				indexes = append(indexes, name+"\x00"+tbl)
			}
		}
	}
	slices.SortFunc(tables, func(a, b *state.Table) int { return cmp.Compare(a.Name, b.Name) })

	if len(tables) > 0 {
		if err := inspectTables(ctx, d1, tables, indexNames(indexes, byName)); err != nil {
			return nil, err
		}
	}

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

// indexNames takes "index\x00table" pairs and returns the sorted names of
// the indexes that belong to inspected tables.
func indexNames(pairs []string, byName map[string]*state.Table) []string {
	var names []string
	for _, p := range pairs {
		name, table, _ := strings.Cut(p, "\x00")
		if byName[table] != nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// inspectTables fills columns, indexes and HasRows with one batch: per
// table PRAGMA table_info, PRAGMA index_list and an EXISTS probe, then
// PRAGMA index_info per named index.
func inspectTables(ctx context.Context, d1 D1, tables []*state.Table, indexes []string) error {
	sts := make([]Stmt, 0, 3*len(tables)+len(indexes))
	for _, t := range tables {
		q := QuoteIdent(t.Name)
		sts = append(sts,
			Stmt{SQL: "PRAGMA table_info(" + q + ")"},
			Stmt{SQL: "PRAGMA index_list(" + q + ")"},
			Stmt{SQL: "SELECT EXISTS(SELECT 1 FROM " + q + ")"},
		)
	}
	for _, name := range indexes {
		sts = append(sts, Stmt{SQL: "PRAGMA index_info(" + QuoteIdent(name) + ")"})
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
	columnsOf := map[string][]string{}
	for i, name := range indexes {
		columnsOf[name] = indexColumns(res[3*len(tables)+i])
	}
	for i, t := range tables {
		cols, err := tableColumns(res[3*i])
		if err != nil {
			return fmt.Errorf("inspect table %s: %w", t.Name, err)
		}
		t.Columns = cols
		t.Indexes = tableIndexes(res[3*i+1], columnsOf)
		if r := res[3*i+2]; len(r.Rows) > 0 && len(r.Rows[0]) > 0 {
			t.HasRows = asInt(r.Rows[0][0]) != 0
		}
	}
	return nil
}

// tableColumns reads PRAGMA table_info: cid, name, type, notnull,
// dflt_value, pk.
func tableColumns(r *Result) ([]*state.Column, error) {
	at := columnIndex(r)
	cols := make([]*state.Column, 0, len(r.Rows))
	type withCID struct {
		cid int64
		col *state.Column
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
		ordered = append(ordered, withCID{cid: asInt(get("cid")), col: c})
	}
	slices.SortStableFunc(ordered, func(a, b withCID) int { return cmp.Compare(a.cid, b.cid) })
	for _, o := range ordered {
		cols = append(cols, o.col)
	}
	return cols, nil
}

// tableIndexes reads PRAGMA index_list: seq, name, unique, origin, partial.
// Automatic indexes and the primary key's are left out.
func tableIndexes(r *Result, columnsOf map[string][]string) []*state.Index {
	at := columnIndex(r)
	out := []*state.Index{}
	for _, row := range r.Rows {
		get := func(name string) any {
			if j, ok := at[name]; ok && j < len(row) {
				return row[j]
			}
			return nil
		}
		name := asString(get("name"))
		if name == "" || strings.HasPrefix(name, "sqlite_autoindex_") || asString(get("origin")) == "pk" {
			continue
		}
		cols := columnsOf[name]
		if cols == nil {
			cols = []string{}
		}
		out = append(out, &state.Index{Name: name, Columns: cols, Unique: asInt(get("unique")) != 0})
	}
	slices.SortFunc(out, func(a, b *state.Index) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// indexColumns reads PRAGMA index_info: seqno, cid, name, in seqno order.
// A column of an expression index has no name; it is shown as "<expr>".
func indexColumns(r *Result) []string {
	at := columnIndex(r)
	type part struct {
		seq  int64
		name string
	}
	parts := make([]part, 0, len(r.Rows))
	for _, row := range r.Rows {
		get := func(name string) any {
			if j, ok := at[name]; ok && j < len(row) {
				return row[j]
			}
			return nil
		}
		name := asString(get("name"))
		if get("name") == nil {
			name = "<expr>"
		}
		parts = append(parts, part{seq: asInt(get("seqno")), name: name})
	}
	slices.SortStableFunc(parts, func(a, b part) int { return cmp.Compare(a.seq, b.seq) })
	cols := make([]string, len(parts))
	for i, p := range parts {
		cols[i] = p.name
	}
	return cols
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
