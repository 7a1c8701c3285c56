package importer

import (
	"reflect"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

func TestFieldType(t *testing.T) {
	for decl, want := range map[string]hclspec.FieldType{
		"INTEGER": hclspec.Integer, "BIGINT": hclspec.Integer, "TINYINT(1)": hclspec.Integer,
		"TEXT": hclspec.String, "VARCHAR(255)": hclspec.String, "NVARCHAR(16)": hclspec.String, "CLOB": hclspec.String,
		"BLOB": hclspec.Blob, "LONGBLOB": hclspec.Blob, "VARBINARY(32)": hclspec.String,
		"REAL": hclspec.Number, "DOUBLE PRECISION": hclspec.Number, "FLOAT": hclspec.Number,
		"NUMERIC": hclspec.Number, "DECIMAL(10,2)": hclspec.Number,
		"BOOLEAN": hclspec.Boolean, "BOOL": hclspec.Boolean,
		"DATETIME": hclspec.Timestamp, "DATE": hclspec.Timestamp, "TIMESTAMP": hclspec.Timestamp, "TIME": hclspec.Timestamp,
		"JSON": hclspec.JSON, "JSONB": hclspec.JSON,
	} {
		if got := fieldType(decl); got != want {
			t.Errorf("fieldType(%s) = %s, want %s", decl, got, want)
		}
	}
}

func TestDeclareDefault(t *testing.T) {
	for _, tc := range []struct {
		typ  hclspec.FieldType
		live string
		def  cty.Value
		sql  string
	}{
		{hclspec.String, "'pending'", cty.StringVal("pending"), ""},
		{hclspec.String, "'it''s'", cty.StringVal("it's"), ""},
		{hclspec.String, "'${x}'", cty.StringVal("${x}"), ""},
		{hclspec.Integer, "0", cty.NumberIntVal(0), ""},
		{hclspec.Integer, "-3", cty.NumberIntVal(-3), ""},
		{hclspec.Number, "0.05", cty.NumberFloatVal(0.05), ""},
		{hclspec.Number, "0.0", cty.NilVal, "0.0"},
		{hclspec.Boolean, "1", cty.True, ""},
		{hclspec.Boolean, "false", cty.NilVal, "false"},
		{hclspec.JSON, "'{}'", cty.EmptyObjectVal, ""},
		{hclspec.JSON, `'{"a":1}'`, cty.NilVal, `'{"a":1}'`},
		{hclspec.Timestamp, "CURRENT_TIMESTAMP", cty.NilVal, "CURRENT_TIMESTAMP"},
		{hclspec.Integer, "unixepoch()", cty.NilVal, "(unixepoch())"},
		{hclspec.Blob, "x'00ff'", cty.NilVal, "x'00ff'"},
		{hclspec.String, "NULL", cty.NilVal, ""},
		{hclspec.String, "", cty.NilVal, ""},
	} {
		def, sql := declareDefault(tc.typ, tc.live)
		if def != cty.NilVal && (tc.def == cty.NilVal || !def.RawEquals(tc.def)) || def == cty.NilVal && tc.def != cty.NilVal || sql != tc.sql {
			t.Errorf("declareDefault(%s, %q) = %#v, %q; want %#v, %q", tc.typ, tc.live, def, sql, tc.def, tc.sql)
		}
	}
}

func TestIndexLabels(t *testing.T) {
	tb := &state.Table{Name: "posts", Columns: []*state.Column{{Name: "id", Type: "TEXT", PK: true}, {Name: "a", Type: "TEXT"}},
		Indexes: []*state.Index{
			{Name: "idx-a", Columns: []string{"a"}},
			{Name: "idx_a", Columns: []string{"a"}},
			{Name: "posts_by_a", Columns: []string{"a"}, Keys: []state.IndexKey{{Desc: true}}},
			{Name: "Posts_x", Columns: []string{"a"}},
		}}
	m, why := declare(tb, "CREATE TABLE posts (id TEXT PRIMARY KEY, a TEXT)")
	if why != "" {
		t.Fatal(why)
	}
	want := []index{
		{label: "idx_a", name: "idx-a", columns: []string{"a"}},
		{label: "idx_a_2", name: "idx_a", columns: []string{"a"}},
		{label: "by_a", keys: []string{"a DESC"}},
		{label: "Posts_x", name: "Posts_x", columns: []string{"a"}},
	}
	if len(m.indexes) != len(want) {
		t.Fatalf("indexes = %+v", m.indexes)
	}
	for i, w := range want {
		if got := *m.indexes[i]; !reflect.DeepEqual(got, w) {
			t.Errorf("index %d = %+v, want %+v", i, got, w)
		}
	}
}
