package importer

import (
	"reflect"
	"strings"
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
		"DATETIME": hclspec.Timestamp, "DATE": hclspec.Timestamp, "TIMESTAMP": hclspec.Timestamp, "TIME": hclspec.String, "TIME(3)": hclspec.String, "TIMETZ": hclspec.String, "DATETIME2": hclspec.Timestamp,
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

// A key column with a default (Auth.js's users.id DEFAULT ”) declares it
// as sql_default: hclspec refuses default on a key.
func TestDeclareKeyDefault(t *testing.T) {
	for _, tc := range []struct {
		col     state.Column
		sqlDef  string
		withDef bool
	}{
		{state.Column{Name: "id", Type: "TEXT", PK: true, NotNull: true, Default: "''"}, "''", false},
		{state.Column{Name: "id", Type: "INTEGER", PK: true, Default: "0"}, "0", false},
		{state.Column{Name: "id", Type: "TEXT", PK: true, Default: "NULL"}, "", false},
		{state.Column{Name: "name", Type: "TEXT", Default: "''"}, "", true},
	} {
		f, why := declareField(&tc.col, false)
		if why != "" {
			t.Fatal(why)
		}
		if f.sqlDefault != tc.sqlDef || (f.def != cty.NilVal) != tc.withDef {
			t.Errorf("%s %s DEFAULT %s: default %#v, sql_default %q; want sql_default %q, default %v", tc.col.Name, tc.col.Type, tc.col.Default, f.def, f.sqlDefault, tc.sqlDef, tc.withDef)
		}
	}
}

func TestFreeNames(t *testing.T) {
	for _, tc := range []struct {
		tables []string
		config map[string]string
		want   []string
	}{
		{[]string{"users"}, nil, []string{"USERS"}},
		{[]string{"users"}, map[string]string{"USERS": "users"}, []string{"USERS"}},
		{[]string{"users"}, map[string]string{"USERS": "app_users"}, []string{"USERS_2"}},
		{[]string{"users", "users_2"}, map[string]string{"USERS": "app_users"}, []string{"USERS_3", "USERS_2"}},
		{[]string{"users"}, map[string]string{"USERS": "", "USERS_2": "x"}, []string{"USERS_3"}},
	} {
		var ms []*model
		for _, tb := range tc.tables {
			ms = append(ms, &model{name: strings.ToUpper(tb), table: tb})
		}
		freeNames(ms, tc.config)
		for i, m := range ms {
			if m.name != tc.want[i] {
				t.Errorf("tables %v, config %v: model of %s = %s, want %s", tc.tables, tc.config, m.table, m.name, tc.want[i])
			}
		}
	}
}

// What the table has and no model can declare (ON CONFLICT, DEFERRABLE,
// PRIMARY KEY DESC, STORED) is named in the file's header: a table made
// from the model lacks it.
func TestDeclareUnmodeled(t *testing.T) {
	tb := &state.Table{Name: "books", Columns: []*state.Column{{Name: "id", Type: "INTEGER", PK: true}, {Name: "isbn", Type: "TEXT"}},
		Uniques:   [][]string{{"isbn"}},
		Unmodeled: []string{"UNIQUE (isbn) has ON CONFLICT REPLACE", "column id: PRIMARY KEY DESC"}}
	m, why := declare(tb, "CREATE TABLE books (id INTEGER PRIMARY KEY DESC, isbn TEXT, UNIQUE (isbn) ON CONFLICT REPLACE)")
	if why != "" {
		t.Fatal(why)
	}
	text := string(m.render(Options{Source: "test"}, nil))
	for _, want := range []string{"#   - UNIQUE (isbn) has ON CONFLICT REPLACE", "#   - column id: PRIMARY KEY DESC"} {
		if !strings.Contains(text, want) {
			t.Errorf("the header does not name %q:\n%s", want, text)
		}
	}
}

// The header offers the KV side only to a model that can have one: a
// composite key, or a key that is neither string nor integer, keeps a
// model D1-only (hclspec refuses the KV side).
func TestHeaderKVSide(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cols  []*state.Column
		offer bool
		says  string
	}{
		{"text key", []*state.Column{{Name: "id", Type: "TEXT", PK: true, KeySeq: 1}}, true, `set storage = "d1+kv"`},
		{"composite", []*state.Column{{Name: "org_id", Type: "TEXT", PK: true, KeySeq: 1}, {Name: "user_id", Type: "TEXT", PK: true, KeySeq: 2}}, false,
			"# A D1-only model: its composite key (org_id, user_id) keeps it one, as a KV object has one id.\n"},
		{"real key", []*state.Column{{Name: "at", Type: "REAL", PK: true, KeySeq: 1}}, false,
			"# A D1-only model: its key at is a number, and a model with a KV side is keyed by a string or an integer.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, why := declare(&state.Table{Name: "t", Columns: tc.cols}, "CREATE TABLE t (...)")
			if why != "" {
				t.Fatal(why)
			}
			text := string(m.render(Options{Source: "test"}, nil))
			if got := strings.Contains(text, `set storage = "d1+kv"`); got != tc.offer || !strings.Contains(text, tc.says) {
				t.Errorf("header offers the KV side: %v, want %v; want it to say %q:\n%s", got, tc.offer, tc.says, text)
			}
		})
	}
}
