package planner

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

func TestDesired(t *testing.T) {
	shared := newModel("NOTE", "note", "note_id", "PAGES", nil, nil)
	got := Desired(newSpec(pageModel(), projectModel(), shared), "local")
	want := &state.Schema{
		Tables: []*state.Table{
			{Name: "note", Rows: -1, Indexes: []*state.Index{}, Columns: []*state.Column{
				{Name: "note_id", Type: "TEXT", NotNull: true, PK: true},
				{Name: "user_id", Type: "TEXT"},
				{Name: "created_at", Type: "TEXT"},
				{Name: "updated_at", Type: "TEXT"},
				{Name: "deleted_at", Type: "TEXT"},
			}},
			{Name: "page_meta", Rows: -1, Columns: []*state.Column{
				{Name: "page_id", Type: "TEXT", NotNull: true, PK: true},
				{Name: "project_id", Type: "TEXT", NotNull: true},
				{Name: "url", Type: "TEXT", NotNull: true},
				{Name: "title", Type: "TEXT"},
				{Name: "status", Type: "TEXT", Default: "'pending'"},
				{Name: "last_processed", Type: "TEXT"},
				{Name: "user_id", Type: "TEXT"},
				{Name: "created_at", Type: "TEXT"},
				{Name: "updated_at", Type: "TEXT"},
				{Name: "deleted_at", Type: "TEXT"},
			}, Indexes: []*state.Index{
				{Name: "page_meta_by_project_status", Columns: []string{"project_id", "status"}},
			}},
			{Name: "project", Rows: -1, Columns: []*state.Column{
				{Name: "project_id", Type: "TEXT", NotNull: true, PK: true},
				{Name: "name", Type: "TEXT", NotNull: true},
				{Name: "active", Type: "INTEGER", Default: "1"},
				{Name: "tags", Type: "TEXT", Default: `'["a","b"]'`},
				{Name: "user_id", Type: "TEXT"},
				{Name: "created_at", Type: "TEXT"},
				{Name: "updated_at", Type: "TEXT"},
				{Name: "deleted_at", Type: "TEXT"},
			}, Indexes: []*state.Index{
				{Name: "project_by_name", Columns: []string{"name"}, Unique: true},
			}},
		},
		Namespaces: []*state.Namespace{
			{Title: "nimbus-local-PAGES"},
			{Title: "nimbus-local-PROJECTS"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Desired mismatch (-want +got):\n%s", diff)
	}
}

func TestDesiredNilSpec(t *testing.T) {
	got := Desired(nil, "local")
	if len(got.Tables) != 0 || len(got.Namespaces) != 0 {
		t.Errorf("Desired(nil) = %+v, want empty", got)
	}
}

func TestDefaultLiteral(t *testing.T) {
	tests := []struct {
		name string
		f    *hclspec.Field
		want string
	}{
		{"none", fld("a", hclspec.String), ""},
		{"string", withDefault(fld("a", hclspec.String), "pending"), "'pending'"},
		{"quote escaped", withDefault(fld("a", hclspec.String), "it's"), "'it''s'"},
		{"injection stays a string", withDefault(fld("a", hclspec.Text), "x'); DROP TABLE t; --"), "'x''); DROP TABLE t; --'"},
		{"bool true", withDefault(fld("a", hclspec.Boolean), true), "1"},
		{"bool false", withDefault(fld("a", hclspec.Boolean), false), "0"},
		{"int64", withDefault(fld("a", hclspec.Integer), int64(-3)), "-3"},
		{"int", withDefault(fld("a", hclspec.Integer), 42), "42"},
		{"integral float for integer", withDefault(fld("a", hclspec.Integer), float64(7)), "7"},
		{"float", withDefault(fld("a", hclspec.Number), 1.5), "1.5"},
		{"NaN has no literal", withDefault(fld("a", hclspec.Number), math.NaN()), ""},
		{"inf has no literal", withDefault(fld("a", hclspec.Number), math.Inf(1)), ""},
		{"array", withDefault(fld("a", hclspec.Array), []any{"x", int64(1)}), `'["x",1]'`},
		{"json object sorted", withDefault(fld("a", hclspec.JSON), map[string]any{"b": 1.0, "a": "it's"}), `'{"a":"it''s","b":1}'`},
		{"json string", withDefault(fld("a", hclspec.JSON), "hi"), `'"hi"'`},
		{"timestamp", withDefault(fld("a", hclspec.Timestamp), "2026-01-01T00:00:00.000Z"), "'2026-01-01T00:00:00.000Z'"},
		{"unsupported type", withDefault(fld("a", hclspec.String), struct{}{}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultLiteral(tt.f); got != tt.want {
				t.Errorf("defaultLiteral = %q, want %q", got, tt.want)
			}
		})
	}
}
