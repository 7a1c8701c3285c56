package planner

import (
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// Desired returns the schema the spec declares for the environment: one
// table per model (columns in Model.Columns order, indexes from the d1
// block) and one KV namespace per distinct kv.namespace, titled
// Spec.NamespaceTitle(env, namespace). The result is sorted.
//
// The primary key column is TEXT PRIMARY KEY NOT NULL unless a field
// declares it; required fields are NOT NULL; defaults are SQL literals
// (see defaultLiteral) or the field's sql_default; the column and table
// SQL of the adoption language (sql_type, check, collate, references,
// strict, ...) is carried over (desiredTableSQL). When two models
// name the same table, the first model by name wins; Diff reports the
// other as blocked.
func Desired(spec *hclspec.Spec, env string) *state.Schema {
	s := &state.Schema{Tables: []*state.Table{}, Namespaces: []*state.Namespace{}}
	if spec == nil {
		return s
	}
	seenNS := map[string]bool{}
	seenTable := map[string]bool{}
	for _, m := range spec.Models {
		if m == nil {
			continue
		}
		if t := desiredTable(m); t != nil && !seenTable[strings.ToLower(t.Name)] {
			seenTable[strings.ToLower(t.Name)] = true
			s.Tables = append(s.Tables, t)
		}
		if m.KV.Namespace == "" {
			continue
		}
		title := spec.NamespaceTitle(env, m.KV.Namespace)
		if !seenNS[title] {
			seenNS[title] = true
			s.Namespaces = append(s.Namespaces, &state.Namespace{Title: title})
		}
	}
	s.Sort()
	return s
}

// desiredTable returns the D1 table a model declares, or nil when the model
// has no table name.
func desiredTable(m *hclspec.Model) *state.Table {
	if m.D1.Table == "" {
		return nil
	}
	t := &state.Table{Name: m.D1.Table, Columns: []*state.Column{}, Indexes: []*state.Index{}, Rows: -1}
	for _, f := range m.Columns() {
		if f.KVOnly {
			continue
		}
		c := desiredColumn(f)
		if len(m.PrimaryKeys) > 1 {
			for i, k := range m.PrimaryKeys {
				if strings.EqualFold(k, f.Name) {
					c.KeySeq = i + 1
				}
			}
		}
		t.Columns = append(t.Columns, c)
	}
	desiredTableSQL(t, m)
	for _, ix := range m.D1.Indexes {
		if ix == nil {
			continue
		}
		t.Indexes = append(t.Indexes, desiredIndex(ix))
	}
	return t
}

// desiredColumn returns the column a synced field is stored as: its
// declared type (sql_type, else what the field type implies), NOT NULL
// when required, the default, and the column SQL a table made by another
// tool carries (desiredColumnSQL).
func desiredColumn(f *hclspec.Field) *state.Column {
	if f.Primary {
		c := &state.Column{Name: f.Name, Type: declaredType(f), NotNull: true, PK: true}
		desiredColumnSQL(c, f)
		return c
	}
	c := &state.Column{
		Name:    f.Name,
		Type:    declaredType(f),
		NotNull: f.Required,
		Default: defaultLiteral(f),
	}
	desiredColumnSQL(c, f)
	return c
}
