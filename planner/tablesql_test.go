package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

func loadSpec(t *testing.T, src string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("tablesql", map[string][]byte{"m.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return spec
}

const imported = `
model "ITEM" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" {
    type          = integer
    autoincrement = true
  }
  field "price" {
    type     = number
    sql_type = "decimal(10,2)"
  }
  field "at" {
    type        = timestamp
    sql_type    = "DATETIME"
    sql_default = "(strftime('%s', 'now'))"
  }
  d1 { table = "items" }
}
`

const withFK = `
model "AUTHOR" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" { type = integer }
  d1 { table = "authors" }
}
model "POST" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" { type = integer }
  field "author_id" { type = integer }
  field "title" {
    type   = string
    unique = true
  }
  field "body" {
    type     = text
    required = true
  }
  d1 {
    table = "posts"
    foreign_key {
      columns    = ["author_id"]
      references = "authors(id)"
      on_delete  = "cascade"
    }
  }
}
`

// TestDiffTableSQL checks how the planner treats what a table made by
// another tool declares: what matches is "No changes", what differs
// blocks with its code, what ADD COLUMN cannot add blocks (DM124), what
// it can is added with its constraints.
func TestDiffTableSQL(t *testing.T) {
	builtin := `
model "PAGE" {
  field "title" { type = string }
  d1 { sync_fields = ["title"] }
}
`
	tests := []struct {
		name  string
		src   string
		live  func(s *state.Schema)
		codes []string // blocked codes, in order
		notes []string // note codes
		hint  []string // substrings of the first blocked step's hint
		not   []string // what the first blocked step's hint must not say
		sql   []string // substrings of the first non-blocked step's SQL
	}{
		{name: "spelling of a declared type and an expression default", src: imported, live: func(s *state.Schema) {
			tb := s.Table("items")
			tb.Column("price").Type = "DECIMAL(10, 2)"
			tb.Column("at").Default = "strftime('%s','now')" // table_info drops the parentheses
		}},
		{name: "declared type changed", src: imported, live: func(s *state.Schema) { s.Table("items").Column("at").Type = "TIMESTAMP" },
			codes: []string{CodeSQLTypeChange}, hint: []string{`set sql_type = "TIMESTAMP" on field at`}},
		{name: "sql default changed", src: imported, live: func(s *state.Schema) { s.Table("items").Column("at").Default = "CURRENT_TIMESTAMP" },
			codes: []string{CodeSQLDefaultChange}, hint: []string{`sql_default = "CURRENT_TIMESTAMP"`}},
		{name: "autoincrement", src: imported, live: func(s *state.Schema) { s.Table("items").Column("id").Autoincrement = false },
			codes: []string{CodeAutoincrementChange}, hint: []string{"set autoincrement = false on field id"}},
		{name: "built-in DATETIME", src: builtin, live: func(s *state.Schema) { s.Table("page").Column("created_at").Type = "DATETIME" },
			codes: []string{CodeTypeChange}, hint: []string{`turn option timestamps off and declare field "created_at" { type = timestamp  sql_type = "DATETIME" }`,
				// The option also made updated_at, which the runtime then no
				// longer sets: the hint must say so.
				`and field "updated_at" { type = timestamp }`, "the runtime no longer sets created_at and updated_at"}},
		{name: "key declared TEXT kept as VARCHAR", src: builtin, live: func(s *state.Schema) { s.Table("page").Column("page_id").Type = "VARCHAR(36)" },
			notes: []string{NoteTypeSpelling}},
		{name: "unique column added", src: imported + `model "X" {
  storage = "d1"
  options { auth = false }
  field "code" {
    type   = string
    unique = true
  }
}`, live: func(s *state.Schema) { dropColumn(s.Table("x"), "code") },
			codes: []string{CodeAddColumnConstraint}, hint: []string{"unique index block"}},
		{name: "reference with a default added", src: imported + `model "X" {
  storage = "d1"
  options { auth = false }
  field "item" {
    type       = integer
    default    = 1
    references = "items.id"
  }
}`, live: func(s *state.Schema) { dropColumn(s.Table("x"), "item") },
			codes: []string{CodeAddColumnConstraint}},
		{name: "constraints SQLite adds in place", src: imported + `model "X" {
  storage = "d1"
  options { auth = false }
  field "item" {
    type       = integer
    references = "items.id"
    on_delete  = "set null"
    check      = "item > 0"
  }
  field "name" {
    type    = string
    collate = "nocase"
  }
}`, live: func(s *state.Schema) { dropColumn(s.Table("x"), "item"); dropColumn(s.Table("x"), "name") },
			sql: []string{`ADD COLUMN "item" INTEGER CHECK (item > 0) REFERENCES "items" ("id") ON DELETE SET NULL`, `ADD COLUMN "name" TEXT COLLATE NOCASE`}},
		{name: "D1-only table with rows gains a column: no backfill from KV", src: imported, live: func(s *state.Schema) {
			dropColumn(s.Table("items"), "price")
			s.Table("items").HasRows = true
		}, sql: []string{`ALTER TABLE "items" ADD COLUMN "price" DECIMAL(10,2)`}},
		{name: "D1-only key of another type", src: imported, live: func(s *state.Schema) { s.Table("items").Column("id").Type = "TEXT" },
			codes: []string{CodeTypeChange}, hint: []string{`declare the key's field with the live column's type (field "id" { type = string  sql_type = "TEXT" })`, "rebuild table items by hand"},
			not: []string{"KV", "reconcile"}},
		{name: "column without a type", src: imported, live: func(s *state.Schema) { s.Table("items").Column("price").Type = "" },
			codes: []string{CodeSQLTypeChange}, hint: []string{"rebuild table items by hand"}},
		{name: "D1-only key changed", src: imported, live: func(s *state.Schema) {
			tb := s.Table("items")
			tb.Column("id").PK, tb.Column("id").KeySeq = true, 2
			tb.Column("price").PK, tb.Column("price").KeySeq = true, 1
		}, codes: []string{CodePrimaryKeyChange}, hint: []string{`set primary_key = ["price", "id"] to match the table`, "rebuild table items by hand"},
			not: []string{"KV"}},
		{name: "what HCL cannot declare", src: imported, live: func(s *state.Schema) {
			s.Table("items").Unmodeled = []string{"column price: ON CONFLICT REPLACE"}
		}, notes: []string{NoteUnmodeledSQL}},
		{name: "generated column", src: imported, live: func(s *state.Schema) {
			s.Table("items").Columns = append(s.Table("items").Columns, &state.Column{Name: "twice", Generated: "price * 2"})
		}, notes: []string{NoteGeneratedColumn}},
		{name: "field on a generated column", src: imported, live: func(s *state.Schema) {
			s.Table("items").Column("price").Generated = "1.5"
		}, codes: []string{CodeNotManageable}},
		{name: "virtual table and shadows", src: imported, live: func(s *state.Schema) {
			s.Tables = append(s.Tables, &state.Table{Name: "notes_fts", Virtual: "fts5"},
				&state.Table{Name: "notes_fts_data", ShadowOf: "notes_fts"}, &state.Table{Name: "notes_fts_idx", ShadowOf: "notes_fts"})
		}, notes: []string{NoteVirtualTable}},
		{name: "model on a virtual table", src: imported, live: func(s *state.Schema) {
			s.Table("items").Virtual = "fts5"
		}, codes: []string{CodeNotManageable}},
		{name: "table options and constraints", src: imported, live: func(s *state.Schema) {
			tb := s.Table("items")
			tb.Strict, tb.WithoutRowid = true, true
			tb.Checks = []string{"price > 0"}
			tb.Uniques = [][]string{{"price", "at"}}
			tb.ForeignKeys = []state.ForeignKey{{Columns: []string{"price"}, Reference: state.Reference{Table: "prices"}}}
		}, codes: []string{CodeTableOptionChange, CodeTableOptionChange, CodeCheckChange, CodeUniqueConstraintChange, CodeForeignKeyChange},
			hint: []string{"set strict = true in the d1 block"}},
		{name: "column constraints", src: imported, live: func(s *state.Schema) {
			c := s.Table("items").Column("price")
			c.Collate, c.Check, c.Unique = "NOCASE", "price > 0", true
			c.References = &state.Reference{Table: "prices", Columns: []string{"amount"}, OnDelete: "CASCADE"}
		}, codes: []string{CodeCollateChange, CodeCheckChange, CodeUniqueConstraintChange, CodeForeignKeyChange},
			hint: []string{`set collate = "NOCASE" on field price`}},
		// A one-column foreign_key block and a column REFERENCES are one
		// constraint to SQLite: the same is No changes, a difference one
		// blocked step whose hint writes the block.
		{name: "foreign_key block as a column REFERENCES", src: withFK, live: func(s *state.Schema) {
			tb := s.Table("posts")
			tb.ForeignKeys = nil
			tb.Column("author_id").References = &state.Reference{Table: "authors", Columns: []string{"id"}, OnDelete: "CASCADE"}
		}},
		{name: "foreign_key block differs from the column REFERENCES", src: withFK, live: func(s *state.Schema) {
			tb := s.Table("posts")
			tb.ForeignKeys = nil
			tb.Column("author_id").References = &state.Reference{Table: "authors", Columns: []string{"id"}, OnDelete: "RESTRICT"}
		}, codes: []string{CodeForeignKeyChange},
			hint: []string{`foreign_key { columns = ["author_id"]  references = "authors(id)"  on_delete = "restrict" }`}, not: []string{"on field"}},
		{name: "REFERENCES t is t(its key)", src: withFK, live: func(s *state.Schema) {
			s.Table("posts").ForeignKeys[0].Reference.Columns = nil
		}},
		{name: "table foreign keys differ", src: withFK, live: func(s *state.Schema) {
			s.Table("posts").ForeignKeys[0].Reference.OnDelete = ""
			s.Table("posts").ForeignKeys = append(s.Table("posts").ForeignKeys, state.ForeignKey{Columns: []string{"author_id", "title"}, Reference: state.Reference{Table: "books", Columns: []string{"a", "b"}}})
		}, codes: []string{CodeForeignKeyChange},
			hint: []string{`declare exactly these 2: foreign_key { columns = ["author_id"]  references = "authors(id)" }, foreign_key { columns = ["author_id", "title"]  references = "books(a, b)" } in the d1 block`}},
		{name: "a one-column UNIQUE is the column's", src: withFK, live: func(s *state.Schema) {
			tb := s.Table("posts")
			tb.Uniques = [][]string{{"title"}}
			tb.Column("title").Unique = false
		}},
		// A column of another affinity: say which field type describes it
		// (drizzle-kit keeps timestamps in integer columns).
		{name: "field type of another affinity", src: withFK, live: func(s *state.Schema) {
			s.Table("posts").Column("author_id").Type = "REAL"
		}, codes: []string{CodeTypeChange}, hint: []string{`set type = number on field author_id to describe the column as it is`}},
		{name: "field type of another affinity, declared type kept", src: withFK, live: func(s *state.Schema) {
			s.Table("posts").Column("title").Type = "BIGINT"
		}, codes: []string{CodeTypeChange}, hint: []string{`set type = integer, sql_type = "BIGINT" on field title to describe the column as it is`}},
		{name: "optional field, NOT NULL column", src: withFK, live: func(s *state.Schema) {
			s.Table("posts").Column("title").NotNull = true
		}, codes: []string{CodeNullabilityChange}, hint: []string{`set required = true on field title to describe the column as it is`}, not: []string{"sync"}},
		{name: "required field, nullable column", src: withFK, live: func(s *state.Schema) {
			s.Table("posts").Column("body").NotNull = false
		}, codes: []string{CodeNullabilityChange}, hint: []string{`set required = false on field body to describe the column as it is`}, not: []string{"in D1"}},
		// drizzle-kit's .unique() is a unique index, not a constraint:
		// the hint writes the index block that declares it.
		{name: "unique field, unique index", src: withFK, live: func(s *state.Schema) {
			tb := s.Table("posts")
			tb.Column("title").Unique = false
			tb.Indexes = append(tb.Indexes, &state.Index{Name: "posts_title_unique", Columns: []string{"title"}, Unique: true})
		}, codes: []string{CodeUniqueConstraintChange}, notes: []string{NoteUnmanagedIndex}, hint: []string{`unique through the index posts_title_unique`, `index "title_unique" { columns = ["title"]  unique = true }`}},
		{name: "unique field, unique index of another name", src: withFK, live: func(s *state.Schema) {
			tb := s.Table("posts")
			tb.Column("title").Unique = false
			tb.Indexes = append(tb.Indexes, &state.Index{Name: "idx_title", Columns: []string{"title"}, Unique: true})
		}, codes: []string{CodeUniqueConstraintChange}, notes: []string{NoteUnmanagedIndex}, hint: []string{`index "title" { columns = ["title"]  unique = true  name = "idx_title" }`}},
		{name: "new column of a one-column foreign_key", src: withFK, live: func(s *state.Schema) {
			tb := s.Table("posts")
			tb.ForeignKeys = nil
			tb.Columns = slices.DeleteFunc(tb.Columns, func(c *state.Column) bool { return c.Name == "author_id" })
		}, sql: []string{`ADD COLUMN "author_id" INTEGER REFERENCES "authors" ("id") ON DELETE CASCADE`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := loadSpec(t, tt.src)
			live := liveOf(spec)
			tt.live(live)
			p := Diff(spec, "local", live)
			var codes, notes []string
			var first *Step
			var sqls []string
			for i, s := range p.Steps {
				if s.Action == Blocked {
					codes = append(codes, s.Code)
					if first == nil {
						first = &p.Steps[i]
					}
					continue
				}
				sqls = append(sqls, s.SQL...)
			}
			for _, n := range p.Notes {
				notes = append(notes, n.Code)
			}
			if !slices.Equal(codes, tt.codes) || !slices.Equal(notes, tt.notes) {
				t.Fatalf("blocked %v notes %v, want %v %v; steps %+v notes %+v", codes, notes, tt.codes, tt.notes, p.Steps, p.Notes)
			}
			for _, h := range tt.hint {
				if first == nil || !strings.Contains(first.Hint, h) {
					t.Errorf("hint %+v lacks %q", first, h)
				}
			}
			for _, n := range tt.not {
				if first != nil && strings.Contains(first.Hint, n) {
					t.Errorf("hint %q says %q", first.Hint, n)
				}
			}
			if first != nil && first.Code == CodeTypeChange && strings.Contains(first.Hint, "remove") {
				t.Errorf("hint asks to remove a key or built-in: %s", first.Hint)
			}
			if len(tt.sql) > 0 && len(sqls) != len(tt.sql) {
				t.Errorf("steps %+v, want only the SQL %q", p.Steps, tt.sql)
			}
			for _, w := range tt.sql {
				if !slices.ContainsFunc(sqls, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("no SQL contains %q: %q", w, sqls)
				}
			}
		})
	}
}

// TestCreateTableSQL checks the CREATE TABLE dmplan writes for the
// adoption language.
func TestCreateTableSQL(t *testing.T) {
	spec := loadSpec(t, `
model "TAG" {
  storage     = "d1"
  primary_key = ["org_id", "slug"]
  options {
    auth          = false
    timestamps    = false
    soft_delete   = false
    user_tracking = false
  }
  field "slug" {
    type    = string
    collate = "NOCASE"
  }
  field "org_id" {
    type       = integer
    references = "orgs.id"
    on_delete  = "cascade"
  }
  field "label" {
    type     = string
    required = true
    check    = "length(Label) <= 64"
    unique   = true
  }
  field "at" {
    type        = timestamp
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  d1 {
    table         = "tags"
    strict        = false
    without_rowid = true
    checks        = ["org_id > 0"]
    unique        = [["org_id", "label"]]
    foreign_key {
      columns    = ["org_id", "slug"]
      references = "slugs(org, slug)"
      on_update  = "restrict"
    }
  }
}`)
	got := createTableSQL(Desired(spec, "local").Table("tags"))
	want := `CREATE TABLE "tags" ("org_id" INTEGER NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE, "slug" TEXT NOT NULL COLLATE NOCASE, ` +
		`"label" TEXT NOT NULL UNIQUE CHECK (length(label) <= 64), "at" DATETIME DEFAULT CURRENT_TIMESTAMP, ` +
		`PRIMARY KEY ("org_id", "slug"), UNIQUE ("org_id", "label"), CHECK (org_id > 0), ` +
		`FOREIGN KEY ("org_id", "slug") REFERENCES "slugs" ("org", "slug") ON UPDATE RESTRICT) WITHOUT ROWID`
	if got != want {
		t.Errorf("createTableSQL:\n got %s\nwant %s", got, want)
	}
}

// TestD1OnlyMessages: what the plan says about a D1-only model's table
// never mentions KV objects or sync_fields, which it has none of.
func TestD1OnlyMessages(t *testing.T) {
	spec := loadSpec(t, imported)
	live := liveOf(spec)
	tb := live.Table("items")
	tb.Columns = append(tb.Columns, &state.Column{Name: "legacy", Type: "TEXT"}, &state.Column{Name: "must", Type: "TEXT", NotNull: true})
	p := Diff(spec, "local", live)
	var texts []string
	for _, n := range p.Notes {
		texts = append(texts, n.Code+" "+n.Message)
	}
	for _, s := range p.Steps {
		texts = append(texts, s.Code+" "+s.Reason+" "+s.Hint)
	}
	if len(texts) != 2 || !strings.HasPrefix(texts[0], NoteUnmanagedColumn) || !strings.HasPrefix(texts[1], CodeUnmanagedNotNull) {
		t.Fatalf("want a DM202 note and a DM111 step, got %q", texts)
	}
	for _, s := range texts {
		if strings.Contains(s, "KV") || strings.Contains(s, "sync_fields") {
			t.Errorf("mentions KV or sync_fields: %s", s)
		}
	}

	// A column ADD COLUMN cannot add: the model declares the field, it
	// syncs nothing.
	spec = loadSpec(t, withFK)
	live = liveOf(spec)
	posts := live.Table("posts")
	posts.Columns = slices.DeleteFunc(posts.Columns, func(c *state.Column) bool { return c.Name == "title" })
	p = Diff(spec, "local", live)
	if b := p.Blocked(); len(b) != 1 || b[0].Code != CodeAddColumnConstraint || strings.Contains(b[0].Reason, "sync") || !strings.Contains(b[0].Reason, "model POST declares field title") {
		t.Errorf("want one DM124 saying the model declares the field, got %+v", b)
	}
}

// TestSQLText: names that are SQLite keywords get their quotes back in
// the CREATE TABLE text; literals, functions and other names are left.
func TestSQLText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"order > 0", `"order" > 0`},
		{"'order' = order", `'order' = "order"`},
		{"group <> 'x' OR order < 10", `"group" <> 'x' OR "order" < 10`},
		{"max(order, 1) > 0 AND CAST(order AS TEXT) <> ''", `max("order", 1) > 0 AND CAST("order" AS TEXT) <> ''`},
		{"length(title) <= 200", "length(title) <= 200"},
		{"replace(name, 'a', 'b') <> ''", "replace(name, 'a', 'b') <> ''"},
		{`"odd ""name""" > 0`, `"odd ""name""" > 0`},
	} {
		if got := sqlText(tc.in); got != tc.want {
			t.Errorf("sqlText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if normExpr(sqlText(tc.in)) != normExpr(tc.in) {
			t.Errorf("sqlText(%q) normalizes to %q, not %q", tc.in, normExpr(sqlText(tc.in)), normExpr(tc.in))
		}
	}
}

// TestDefaultNoteDescribes checks that the DM203 note of a D1-only model,
// whose table another tool made, says which attribute describes the live
// default (no KV object needs the declared one), and that a model with a
// KV side keeps the plain note.
func TestDefaultNoteDescribes(t *testing.T) {
	tests := []struct {
		name string
		live string // the column's live default
		want string // in the note
		not  string
	}{
		{name: "literal", live: "'draft'", want: `replace default with sql_default = "'draft'" on field status to describe the column as it is`},
		{name: "expression", live: "lower('X')", want: `replace default with sql_default = "(lower('X'))" on field status`},
		{name: "literal with a space", live: "'to do'", want: `replace default with sql_default = "'to do'" on field status`},
		{name: "none", live: "", want: `remove default on field status to describe the column as it is`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := loadSpec(t, withFK+`
model "DOC" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" { type = integer }
  field "status" {
    type    = string
    default = "new"
  }
  d1 { table = "docs" }
}
`)
			live := liveOf(spec)
			live.Table("docs").Column("status").Default = tt.live
			p := Diff(spec, "local", live)
			if len(p.Notes) != 1 || p.Notes[0].Code != NoteDefaultDiffers || !strings.Contains(p.Notes[0].Message, tt.want) {
				t.Fatalf("notes %+v, want one DM203 saying %q", p.Notes, tt.want)
			}
		})
	}
	// A built-in field cannot be declared: no attribute to suggest.
	builtin := loadSpec(t, `
model "NOTE" {
  storage = "d1"
  options { auth = false }
  field "body" { type = string }
}
`)
	live := liveOf(builtin)
	live.Table("note").Column("created_at").Default = "CURRENT_TIMESTAMP"
	if p := Diff(builtin, "local", live); len(p.Notes) != 1 || strings.Contains(p.Notes[0].Message, "on field created_at") {
		t.Errorf("built-in created_at: notes %+v, want one DM203 that suggests no attribute", p.Notes)
	}

	spec := loadSpec(t, `
model "PAGE" {
  field "status" {
    type    = string
    default = "new"
  }
  d1 { sync_fields = ["status"] }
}
`)
	live = liveOf(spec)
	live.Table("page").Column("status").Default = "'old'"
	p := Diff(spec, "local", live)
	if len(p.Notes) != 1 || strings.Contains(p.Notes[0].Message, "sql_default") {
		t.Errorf("d1+kv model: notes %+v, want one DM203 without sql_default", p.Notes)
	}
}
