package state

import (
	"sort"
	"strings"
)

// Sort orders tables and namespaces by name and each table's indexes by
// name, in place. Column order is the table's own order and is kept.
func (s *Schema) Sort() {
	if s == nil {
		return
	}
	sort.SliceStable(s.Tables, func(i, j int) bool { return s.Tables[i].Name < s.Tables[j].Name })
	sort.SliceStable(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Title < s.Namespaces[j].Title })
	for _, t := range s.Tables {
		if t != nil {
			sort.SliceStable(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
		}
	}
}

// Table returns the table with the name, or nil. Table names are matched
// case-insensitively, as SQLite does.
func (s *Schema) Table(name string) *Table {
	if s == nil {
		return nil
	}
	for _, t := range s.Tables {
		if t != nil && strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// Namespace returns the KV namespace with the title, or nil. Titles are
// matched exactly.
func (s *Schema) Namespace(title string) *Namespace {
	if s == nil {
		return nil
	}
	for _, n := range s.Namespaces {
		if n != nil && n.Title == title {
			return n
		}
	}
	return nil
}

// Column returns the column with the name, or nil. Column names are matched
// case-insensitively, as SQLite does.
func (t *Table) Column(name string) *Column {
	if t == nil {
		return nil
	}
	for _, c := range t.Columns {
		if c != nil && strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// Index returns the index with the name, or nil (case-insensitive).
func (t *Table) Index(name string) *Index {
	if t == nil {
		return nil
	}
	for _, ix := range t.Indexes {
		if ix != nil && strings.EqualFold(ix.Name, name) {
			return ix
		}
	}
	return nil
}

// PrimaryKey returns the names of the table's primary key columns in key
// order (KeySeq, else table order); none when the table has only SQLite's
// implicit rowid.
func (t *Table) PrimaryKey() []string {
	if t == nil {
		return nil
	}
	var cols []*Column
	for _, c := range t.Columns {
		if c != nil && c.PK {
			cols = append(cols, c)
		}
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].KeySeq < cols[j].KeySeq })
	out := make([]string, 0, len(cols))
	for _, c := range cols {
		out = append(out, c.Name)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Clone returns a deep copy of the schema.
func (s *Schema) Clone() *Schema {
	if s == nil {
		return nil
	}
	out := &Schema{
		Tables:     make([]*Table, 0, len(s.Tables)),
		Namespaces: make([]*Namespace, 0, len(s.Namespaces)),
	}
	for _, t := range s.Tables {
		if t != nil {
			out.Tables = append(out.Tables, t.Clone())
		}
	}
	for _, n := range s.Namespaces {
		if n != nil {
			c := *n
			out.Namespaces = append(out.Namespaces, &c)
		}
	}
	return out
}

// Clone returns a deep copy of the table.
func (t *Table) Clone() *Table {
	if t == nil {
		return nil
	}
	out := &Table{
		Name:       t.Name,
		HasRows:    t.HasRows,
		Rows:       t.Rows,
		RowsAtMost: t.RowsAtMost,
		Columns:    make([]*Column, 0, len(t.Columns)),
		Indexes:    make([]*Index, 0, len(t.Indexes)),

		Strict:       t.Strict,
		WithoutRowid: t.WithoutRowid,
		Checks:       append([]string(nil), t.Checks...),
		Unmodeled:    append([]string(nil), t.Unmodeled...),
		Virtual:      t.Virtual,
		ShadowOf:     t.ShadowOf,
	}
	for _, u := range t.Uniques {
		out.Uniques = append(out.Uniques, append([]string(nil), u...))
	}
	for _, fk := range t.ForeignKeys {
		out.ForeignKeys = append(out.ForeignKeys, ForeignKey{Columns: append([]string(nil), fk.Columns...), Reference: fk.Reference.clone()})
	}
	for _, c := range t.Columns {
		if c != nil {
			cc := *c
			if c.References != nil {
				r := c.References.clone()
				cc.References = &r
			}
			out.Columns = append(out.Columns, &cc)
		}
	}
	for _, ix := range t.Indexes {
		if ix != nil {
			ic := *ix
			ic.Columns = append([]string(nil), ix.Columns...)
			ic.Keys = append([]IndexKey(nil), ix.Keys...)
			out.Indexes = append(out.Indexes, &ic)
		}
	}
	return out
}

// WithNamespaces returns a shallow copy of the schema whose Namespaces are
// only those with the given titles. A plan fingerprints the live schema
// this way, so namespaces of other projects in the same account do not
// make its saved plans stale.
func (s *Schema) WithNamespaces(titles []string) *Schema {
	if s == nil {
		return &Schema{}
	}
	keep := make(map[string]bool, len(titles))
	for _, t := range titles {
		keep[t] = true
	}
	out := &Schema{Tables: s.Tables, Namespaces: make([]*Namespace, 0, len(titles))}
	for _, n := range s.Namespaces {
		if n != nil && keep[n.Title] {
			out.Namespaces = append(out.Namespaces, n)
		}
	}
	return out
}

func (r Reference) clone() Reference {
	r.Columns = append([]string(nil), r.Columns...)
	return r
}
