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
			codes: []string{CodeTypeChange}, hint: []string{`turn option timestamps off and declare field "created_at" { type = timestamp  sql_type = "DATETIME" }`}},
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
}
