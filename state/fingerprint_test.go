package state

import (
	"testing"
)

func sample() *Schema {
	return &Schema{
		Tables: []*Table{
			{Name: "page_meta", Columns: []*Column{
				{Name: "page_id", Type: "TEXT", NotNull: true, PK: true},
				{Name: "status", Type: "TEXT", Default: "'pending'"},
			}, Indexes: []*Index{
				{Name: "page_meta_b", Columns: []string{"status"}},
				{Name: "page_meta_a", Columns: []string{"page_id", "status"}, Unique: true},
			}},
			{Name: "project", Columns: []*Column{{Name: "project_id", Type: "TEXT", PK: true}}},
		},
		Namespaces: []*Namespace{{Title: "n-local-B", ID: "1"}, {Title: "n-local-A", ID: "2"}},
	}
}

func TestFingerprintStable(t *testing.T) {
	base := Fingerprint(sample())
	if len(base) != 64 {
		t.Fatalf("Fingerprint = %q, want 64 hex digits", base)
	}
	same := map[string]func(s *Schema){
		"reordered tables": func(s *Schema) { s.Tables[0], s.Tables[1] = s.Tables[1], s.Tables[0] },
		"reordered indexes": func(s *Schema) {
			ix := s.Tables[0].Indexes
			ix[0], ix[1] = ix[1], ix[0]
		},
		"reordered namespaces": func(s *Schema) { s.Namespaces[0], s.Namespaces[1] = s.Namespaces[1], s.Namespaces[0] },
		"rows":                 func(s *Schema) { s.Tables[0].HasRows, s.Tables[0].Rows = true, 42 },
		"namespace ids":        func(s *Schema) { s.Namespaces[0].ID = "other" },
		"internal tables": func(s *Schema) {
			s.Tables = append(s.Tables, &Table{Name: HistoryTable}, &Table{Name: "_cf_KV"}, &Table{Name: "d1_migrations"}, &Table{Name: "sqlite_sequence"})
		},
		"type case":          func(s *Schema) { s.Tables[0].Columns[1].Type = "text" },
		"plain keys written": func(s *Schema) { s.Tables[0].Indexes[0].Keys = make([]IndexKey, len(s.Tables[0].Indexes[0].Columns)) },
	}
	for name, edit := range same {
		t.Run(name, func(t *testing.T) {
			s := sample()
			edit(s)
			if got := Fingerprint(s); got != base {
				t.Errorf("fingerprint changed")
			}
		})
	}
	differs := map[string]func(s *Schema){
		"column type":       func(s *Schema) { s.Tables[0].Columns[1].Type = "INTEGER" },
		"column added":      func(s *Schema) { s.Tables[1].Columns = append(s.Tables[1].Columns, &Column{Name: "x", Type: "TEXT"}) },
		"not null":          func(s *Schema) { s.Tables[0].Columns[1].NotNull = true },
		"default":           func(s *Schema) { s.Tables[0].Columns[1].Default = "'done'" },
		"pk":                func(s *Schema) { s.Tables[1].Columns[0].PK = false },
		"column order":      func(s *Schema) { c := s.Tables[0].Columns; c[0], c[1] = c[1], c[0] },
		"index columns":     func(s *Schema) { s.Tables[0].Indexes[1].Columns = []string{"status", "page_id"} },
		"index unique":      func(s *Schema) { s.Tables[0].Indexes[0].Unique = true },
		"index partial":     func(s *Schema) { s.Tables[0].Indexes[0].Where = "deleted_at IS NULL" },
		"index desc":        func(s *Schema) { s.Tables[0].Indexes[0].Keys = []IndexKey{{Desc: true}} },
		"index collate":     func(s *Schema) { s.Tables[0].Indexes[0].Keys = []IndexKey{{Collate: "NOCASE"}} },
		"index expression":  func(s *Schema) { s.Tables[0].Indexes[0].Keys = []IndexKey{{Expr: "lower(a)"}} },
		"table added":       func(s *Schema) { s.Tables = append(s.Tables, &Table{Name: "other"}) },
		"namespace added":   func(s *Schema) { s.Namespaces = append(s.Namespaces, &Namespace{Title: "n-local-C"}) },
		"name with a quote": func(s *Schema) { s.Tables[1].Name = "project\" column" },
	}
	for name, edit := range differs {
		t.Run(name, func(t *testing.T) {
			s := sample()
			edit(s)
			if got := Fingerprint(s); got == base {
				t.Errorf("fingerprint did not change")
			}
		})
	}
}

// TestFingerprintUnchangedByAdoption pins the fingerprint of a schema
// that uses none of what tables made by other tools add (as every table
// dmplan made): it is what it was before those properties existed, so
// saved plans stay valid. Each new property changes it once set.
func TestFingerprintUnchangedByAdoption(t *testing.T) {
	const before = "3f5d7aa6140b9a16049db162670ca5b1eef47c1f14c8bb3865289574dedf768f"
	if got := Fingerprint(sample()); got != before {
		t.Fatalf("Fingerprint = %s, want %s", got, before)
	}
	for name, edit := range map[string]func(s *Schema){
		"key seq":       func(s *Schema) { s.Tables[0].Columns[0].KeySeq = 1 },
		"collate":       func(s *Schema) { s.Tables[0].Columns[1].Collate = "NOCASE" },
		"check":         func(s *Schema) { s.Tables[0].Columns[1].Check = "status <> ''" },
		"autoincrement": func(s *Schema) { s.Tables[0].Columns[0].Autoincrement = true },
		"unique":        func(s *Schema) { s.Tables[0].Columns[1].Unique = true },
		"references":    func(s *Schema) { s.Tables[0].Columns[1].References = &Reference{Table: "statuses"} },
		"on delete": func(s *Schema) {
			s.Tables[0].Columns[1].References = &Reference{Table: "statuses", OnDelete: "CASCADE"}
		},
		"generated":     func(s *Schema) { s.Tables[0].Columns[1].Generated = "1" },
		"strict":        func(s *Schema) { s.Tables[0].Strict = true },
		"without rowid": func(s *Schema) { s.Tables[0].WithoutRowid = true },
		"table check":   func(s *Schema) { s.Tables[0].Checks = []string{"1"} },
		"table unique":  func(s *Schema) { s.Tables[0].Uniques = [][]string{{"status"}} },
		"foreign key": func(s *Schema) {
			s.Tables[0].ForeignKeys = []ForeignKey{{Columns: []string{"status"}, Reference: Reference{Table: "statuses"}}}
		},
		"unmodeled": func(s *Schema) { s.Tables[0].Unmodeled = []string{"column status: ON CONFLICT REPLACE"} },
		"virtual":   func(s *Schema) { s.Tables[0].Virtual = "fts5" },
		"shadow of": func(s *Schema) { s.Tables[0].ShadowOf = "x" },
	} {
		s := sample()
		edit(s)
		if Fingerprint(s) == before {
			t.Errorf("%s: fingerprint did not change", name)
		}
	}
}

func TestFingerprintDoesNotMutate(t *testing.T) {
	s := sample()
	Fingerprint(s)
	if s.Tables[0].Indexes[0].Name != "page_meta_b" || s.Namespaces[0].Title != "n-local-B" {
		t.Errorf("Fingerprint sorted its input")
	}
}

func TestFingerprintNil(t *testing.T) {
	if Fingerprint(nil) != Fingerprint(&Schema{}) {
		t.Errorf("nil and empty schemas fingerprint differently")
	}
}

func TestLookups(t *testing.T) {
	s := sample()
	if s.Table("PAGE_META") == nil || s.Table("nope") != nil {
		t.Errorf("Table lookup")
	}
	tb := s.Table("page_meta")
	if tb.Column("Status") == nil || tb.Column("nope") != nil {
		t.Errorf("Column lookup")
	}
	if tb.Index("page_meta_a") == nil || tb.Index("nope") != nil {
		t.Errorf("Index lookup")
	}
	if s.Namespace("n-local-A") == nil || s.Namespace("n-local-a") != nil {
		t.Errorf("Namespace lookup")
	}
	if got := tb.PrimaryKey(); len(got) != 1 || got[0] != "page_id" {
		t.Errorf("PrimaryKey = %v", got)
	}
	var nilSchema *Schema
	if nilSchema.Table("x") != nil || nilSchema.Namespace("x") != nil || nilSchema.Clone() != nil {
		t.Errorf("nil schema lookups")
	}
	s.Sort()
	if s.Namespaces[0].Title != "n-local-A" || tb.Indexes[0].Name != "page_meta_a" {
		t.Errorf("Sort did not sort")
	}
}

func TestIsInternalTable(t *testing.T) {
	for name, want := range map[string]bool{
		"_dmplan_history": true, "_DMPLAN_lock": true, "_cf_KV": true, "sqlite_sequence": true,
		"d1_migrations": true, "page_meta": false, "dmplan_history": false,
	} {
		if got := IsInternalTable(name); got != want {
			t.Errorf("IsInternalTable(%q) = %v", name, got)
		}
	}
}

func TestWithNamespaces(t *testing.T) {
	s := sample()
	scoped := s.WithNamespaces([]string{"n-local-A", "absent"})
	if len(scoped.Namespaces) != 1 || scoped.Namespaces[0].Title != "n-local-A" || len(scoped.Tables) != 2 {
		t.Errorf("WithNamespaces = %+v", scoped)
	}
	if len(s.Namespaces) != 2 {
		t.Errorf("WithNamespaces changed its receiver")
	}
	other := sample()
	other.Namespaces = append(other.Namespaces, &Namespace{Title: "x-prod-Z"})
	if Fingerprint(other.WithNamespaces([]string{"n-local-A", "n-local-B"})) != Fingerprint(s) {
		t.Errorf("a namespace outside the scope changed the fingerprint")
	}
	var nilSchema *Schema
	if got := nilSchema.WithNamespaces(nil); got == nil || len(got.Tables) != 0 {
		t.Errorf("nil WithNamespaces = %+v", got)
	}
}

// TestCloneAdoption checks Clone copies what tables made by other tools
// add, deeply.
func TestCloneAdoption(t *testing.T) {
	s := sample()
	tb := s.Tables[0]
	tb.Strict, tb.Checks, tb.Uniques = true, []string{"a"}, [][]string{{"status"}}
	tb.ForeignKeys = []ForeignKey{{Columns: []string{"status"}, Reference: Reference{Table: "x", Columns: []string{"y"}}}}
	tb.Columns[1].References = &Reference{Table: "x", Columns: []string{"y"}}
	c := s.Clone()
	if Fingerprint(c) != Fingerprint(s) {
		t.Fatal("clone fingerprints differently")
	}
	ct := c.Tables[0]
	ct.Checks[0], ct.Uniques[0][0], ct.ForeignKeys[0].Columns[0], ct.ForeignKeys[0].Reference.Columns[0] = "b", "x", "x", "z"
	ct.Columns[1].References.Columns[0] = "z"
	if tb.Checks[0] != "a" || tb.Uniques[0][0] != "status" || tb.ForeignKeys[0].Columns[0] != "status" ||
		tb.ForeignKeys[0].Reference.Columns[0] != "y" || tb.Columns[1].References.Columns[0] != "y" {
		t.Errorf("clone shares memory with the original: %+v", tb)
	}
}
