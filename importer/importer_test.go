package importer

import (
	"reflect"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

func TestParseCreateTable(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		want      createTable
	}{
		{"wrangler", `CREATE TABLE todos (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- the key
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (length(title) <= 500) COLLATE nocase,
  price DECIMAL(10, 2) DEFAULT (0.0)
)`, createTable{Name: "todos", PrimaryKey: []string{"id"}, Columns: []*columnDef{
			{Name: "id", Type: "INTEGER", PrimaryKey: true, Autoincrement: true},
			{Name: "user_id", Type: "INTEGER", NotNull: true, References: &reference{Table: "users", Columns: []string{"id"}, OnDelete: "CASCADE"}},
			{Name: "title", Type: "TEXT", NotNull: true, Check: "length(title) <= 500", Collate: "NOCASE"},
			{Name: "price", Type: "DECIMAL(10, 2)"},
		}}},
		{"drizzle", "CREATE TABLE `members` (\n\t`org` text NOT NULL,\n\t`user` text NOT NULL,\n\tPRIMARY KEY(`org`, `user`),\n\tFOREIGN KEY (`org`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade\n)",
			createTable{Name: "members", PrimaryKey: []string{"org", "user"}, Columns: []*columnDef{
				{Name: "org", Type: "text", NotNull: true}, {Name: "user", Type: "text", NotNull: true},
			}, ForeignKeys: []foreignKey{{Columns: []string{"org"}, Ref: reference{Table: "orgs", Columns: []string{"id"}, OnDelete: "CASCADE"}}}}},
		{"prisma and options", `CREATE TABLE "Post" ("id" INTEGER NOT NULL, "a" TEXT, [b] BLOB, "g" INT GENERATED ALWAYS AS (id * 2) STORED,
    CONSTRAINT "pk" PRIMARY KEY ("id" DESC), CONSTRAINT u UNIQUE ("a", [b]) ON CONFLICT REPLACE, CHECK ("a" <> 'x)'),
    CONSTRAINT "fk" FOREIGN KEY ("a", [b]) REFERENCES "Other" ("x", "y") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED) STRICT, WITHOUT ROWID`,
			createTable{Name: "Post", PrimaryKey: []string{"id"}, Strict: true, WithoutRowid: true,
				Columns: []*columnDef{{Name: "id", Type: "INTEGER", NotNull: true}, {Name: "a", Type: "TEXT"}, {Name: "b", Type: "BLOB"}, {Name: "g", Type: "INT", Generated: true}},
				Uniques: [][]string{{"a", "b"}}, Checks: []string{`"a" <> 'x)'`},
				ForeignKeys: []foreignKey{{Columns: []string{"a", "b"}, Ref: reference{Table: "Other", Columns: []string{"x", "y"}, OnDelete: "SET NULL"}}}}},
		{"no type, negative default", `CREATE TABLE t (k PRIMARY KEY, n INTEGER DEFAULT -1 NOT NULL UNIQUE)`,
			createTable{Name: "t", PrimaryKey: []string{"k"}, Columns: []*columnDef{{Name: "k", PrimaryKey: true}, {Name: "n", Type: "INTEGER", NotNull: true, Unique: true}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCreateTable(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
				for i := range got.Columns {
					t.Logf("column %d: %+v", i, *got.Columns[i])
				}
			}
		})
	}
	for _, bad := range []string{
		"CREATE VIRTUAL TABLE f USING fts5(a)", "CREATE TABLE t AS SELECT 1", "CREATE TABLE t (a TEXT", "CREATE TABLE t (a 'x", "CREATE INDEX i ON t(a)",
	} {
		if _, err := parseCreateTable(bad); err == nil {
			t.Errorf("parseCreateTable(%q) succeeded", bad)
		}
	}
}

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
