package planner

import (
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// Hand-built specs shaped like hclspec's output: primary key first,
// declared fields, then built-ins; SyncFields in column order.

func fld(name string, t hclspec.FieldType) *hclspec.Field {
	return &hclspec.Field{Name: name, Type: t}
}

func required(f *hclspec.Field) *hclspec.Field { f.Required = true; return f }

func withDefault(f *hclspec.Field, v any) *hclspec.Field { f.Default = v; return f }

func builtins() []*hclspec.Field {
	return []*hclspec.Field{
		{Name: "user_id", Type: hclspec.String, BuiltIn: true},
		{Name: "created_at", Type: hclspec.Timestamp, BuiltIn: true, Auto: true},
		{Name: "updated_at", Type: hclspec.Timestamp, BuiltIn: true, Auto: true},
		{Name: "deleted_at", Type: hclspec.Timestamp, BuiltIn: true},
		{Name: "_auth", Type: hclspec.JSON, BuiltIn: true, KVOnly: true},
	}
}

// newModel builds a model with the primary key pk, the declared fields, the
// built-ins, and sync listing the declared fields to sync.
func newModel(name, table, pk, ns string, declared []*hclspec.Field, sync []string, idx ...*hclspec.Index) *hclspec.Model {
	m := &hclspec.Model{
		Name:       name,
		PrimaryKey: pk,
		Options:    hclspec.Options{Timestamps: true, SoftDelete: true, UserTracking: true, Auth: true},
		KV:         hclspec.KV{Namespace: ns, KeyPattern: name + ":{id}", Binding: ns},
		D1:         hclspec.D1{Table: table, Indexes: idx},
	}
	m.Fields = append(m.Fields, &hclspec.Field{Name: pk, Type: hclspec.String, Primary: true, Required: true, Synced: true})
	m.Fields = append(m.Fields, declared...)
	m.Fields = append(m.Fields, builtins()...)
	m.D1.SyncFields = []string{pk}
	inSync := map[string]bool{}
	for _, s := range sync {
		inSync[s] = true
	}
	for _, f := range declared {
		if inSync[f.Name] {
			f.Synced = true
			m.D1.SyncFields = append(m.D1.SyncFields, f.Name)
		}
	}
	for _, f := range m.Fields {
		if f.BuiltIn && !f.KVOnly {
			f.Synced = true
			m.D1.SyncFields = append(m.D1.SyncFields, f.Name)
		}
	}
	return m
}

func index(table, label string, unique bool, cols ...string) *hclspec.Index {
	return &hclspec.Index{Label: label, Name: table + "_" + label, Columns: cols, Unique: unique}
}

// pageModel is the spec's PAGE model.
func pageModel() *hclspec.Model {
	return newModel("PAGE", "page_meta", "page_id", "PAGES",
		[]*hclspec.Field{
			required(fld("project_id", hclspec.String)),
			required(fld("url", hclspec.String)),
			fld("title", hclspec.String),
			withDefault(fld("status", hclspec.String), "pending"),
			fld("content", hclspec.Text),
			fld("extracted_data", hclspec.JSON),
			fld("last_processed", hclspec.Timestamp),
		},
		[]string{"project_id", "url", "title", "status", "last_processed"},
		index("page_meta", "by_project_status", false, "project_id", "status"),
	)
}

func projectModel() *hclspec.Model {
	return newModel("PROJECT", "project", "project_id", "PROJECTS",
		[]*hclspec.Field{
			required(fld("name", hclspec.String)),
			withDefault(fld("active", hclspec.Boolean), true),
			withDefault(fld("tags", hclspec.Array), []any{"a", "b"}),
		},
		[]string{"name", "active", "tags"},
		index("project", "by_name", true, "name"),
	)
}

func newSpec(models ...*hclspec.Model) *hclspec.Spec {
	return &hclspec.Spec{Project: hclspec.Project{Name: "nimbus"}, Models: models}
}

// liveOf is the schema a fresh apply of the spec would leave, with
// namespace ids as the live side has them.
func liveOf(spec *hclspec.Spec) *state.Schema {
	s := Desired(spec, "local")
	for i, n := range s.Namespaces {
		n.ID = "ns-" + string(rune('a'+i))
	}
	for _, t := range s.Tables {
		t.Rows = 0
	}
	return s
}
