package hclspec

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// crossModel checks what involves more than one model: two models may not
// share a table (SQLite names are case-insensitive) nor KV keys.
func (d *decoder) crossModel() hcl.Diagnostics {
	var diags hcl.Diagnostics
	ordered := d.declOrder()
	tables := map[string]*Model{}
	for _, m := range ordered {
		key := strings.ToLower(m.D1.Table)
		if prev, ok := tables[key]; ok {
			diags = append(diags, errorf(d.ranges[m].table, "Duplicate table",
				"Model %q uses table %q, which model %q already uses (declared at %s). Set d1 { table = \"...\" } to another name.",
				m.Name, m.D1.Table, prev.Name, d.ranges[prev].table.String()))
			continue
		}
		tables[key] = m
	}
	// Tables and indexes share one namespace in SQLite.
	indexes := map[string]*Index{}
	for _, m := range ordered {
		for _, idx := range m.D1.Indexes {
			key := strings.ToLower(idx.Name)
			if prev, ok := indexes[key]; ok {
				diags = append(diags, errorf(idx.DeclRange, "Duplicate index name",
					"The index name %q (table + \"_\" + label) is already used by the index declared at %s. Choose another label.",
					idx.Name, prev.DeclRange.String()))
				continue
			}
			if t, ok := tables[key]; ok {
				diags = append(diags, errorf(idx.DeclRange, "Index name collides with a table",
					"The index name %q (table + \"_\" + label) is the name of the table of model %q; SQLite keeps tables and indexes in one namespace. Choose another label.",
					idx.Name, t.Name))
				continue
			}
			indexes[key] = idx
		}
	}

	diags = append(diags, referenceWarnings(ordered, tables)...)

	// Keys can only collide within a namespace; most models have their own.
	seen := map[string][]*Model{} // namespace -> models in it so far
	for _, m := range ordered {
		if m.D1Only() {
			continue
		}
		for _, prev := range seen[m.KV.Namespace] {
			a, b := prev.KV.Prefix(), m.KV.Prefix()
			if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) {
				diags = append(diags, errorf(d.ranges[m].keyPattern, "Overlapping KV keys",
					"Model %q keeps keys %q in namespace %q, where model %q keeps keys %q (declared at %s); their keys could collide. Use a distinct key prefix or namespace.",
					m.Name, m.KV.KeyPattern, m.KV.Namespace, prev.Name, prev.KV.KeyPattern, d.ranges[prev].keyPattern.String()))
				break
			}
		}
		seen[m.KV.Namespace] = append(seen[m.KV.Namespace], m)
	}
	return diags
}

// declOrder returns the models in source order.
func (d *decoder) declOrder() []*Model {
	out := append([]*Model(nil), d.spec.Models...)
	sortByRange(out, func(m *Model) hcl.Range { return m.DeclRange })
	return out
}

// referenceWarnings warns about foreign keys that reference a model's
// table by a column it lacks, or by no column when it has a composite
// key of another width: SQLite accepts the CREATE TABLE but fails every
// write of the referencing table with "foreign key mismatch". References
// to tables no model declares are not checked.
func referenceWarnings(ordered []*Model, tables map[string]*Model) hcl.Diagnostics {
	var diags hcl.Diagnostics
	check := func(m *Model, rng hcl.Range, cols []string, r *Reference) {
		parent := tables[strings.ToLower(r.Table)]
		if parent == nil {
			return
		}
		warn := func(detail string, args ...any) {
			w := errorf(rng, "Foreign key does not match", detail, args...)
			w.Severity = hcl.DiagWarning
			diags = append(diags, w)
		}
		if len(r.Columns) == 0 {
			keys := max(1, len(parent.PrimaryKeys))
			if keys != len(cols) {
				warn("Model %q references table %q by its primary key, which has %d columns, with %d; SQLite would fail every write of table %q.", m.Name, parent.D1.Table, keys, len(cols), m.D1.Table)
			}
			return
		}
		missing := false
		for _, c := range r.Columns {
			if f := findField(parent.Fields, c); f == nil || !f.Synced {
				missing = true
				warn("Table %q of model %q has no column %q; SQLite would fail every write of table %q.%s", parent.D1.Table, parent.Name, c, m.D1.Table, fieldHint(parent, c))
			}
		}
		if !missing && !uniqueKeyOf(parent, r.Columns) {
			warn("Columns (%s) of table %q are neither its primary key nor UNIQUE; SQLite would fail every write of table %q with \"foreign key mismatch\". Reference the primary key, or make them unique in model %q (unique = true on a field, d1.unique, or a unique index block without where).", strings.Join(r.Columns, ", "), parent.D1.Table, m.D1.Table, parent.Name)
		}
	}
	for _, m := range ordered {
		for _, f := range m.Fields {
			if f.SQL.References != nil {
				check(m, f.DeclRange, []string{f.Name}, f.SQL.References)
			}
		}
		for i := range m.D1.ForeignKeys {
			fk := &m.D1.ForeignKeys[i]
			check(m, fk.DeclRange, fk.Columns, &fk.Reference)
		}
	}
	return diags
}

// uniqueKeyOf reports whether cols (any order, any case) are the primary
// key of model m or UNIQUE in it: a field's unique = true, a d1.unique
// list, or a unique index block of plain columns over every row. SQLite
// accepts only those as the parent key of a foreign key.
func uniqueKeyOf(m *Model, cols []string) bool {
	same := func(a []string) bool {
		if len(a) != len(cols) {
			return false
		}
		for _, c := range cols {
			if !slices.ContainsFunc(a, func(x string) bool { return strings.EqualFold(x, c) }) {
				return false
			}
		}
		return true
	}
	key := m.PrimaryKeys
	if len(key) == 0 && m.PrimaryKey != "" {
		key = []string{m.PrimaryKey}
	}
	if same(key) {
		return true
	}
	if len(cols) == 1 {
		if f := findField(m.Fields, cols[0]); f != nil && f.SQL.Unique {
			return true
		}
	}
	for _, u := range m.D1.Uniques {
		if same(u) {
			return true
		}
	}
	for _, ix := range m.D1.Indexes {
		if ix.Unique && !ix.UniqueLive && ix.Where == "" && len(ix.Keys) == 0 && same(ix.Columns) {
			return true
		}
	}
	return false
}
