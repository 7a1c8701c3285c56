package hclspec_test

import (
	"os"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestAdoptionLanguage decodes a file in the adoption language and checks
// every attribute lands where planner and runtime read it.
func TestAdoptionLanguage(t *testing.T) {
	src, err := os.ReadFile("testdata/adopt/adopt.dm.hcl")
	if err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadSources("adopt", map[string][]byte{"adopt.dm.hcl": src})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type field struct {
		Name     string
		Type     string
		Primary  bool
		Synced   bool
		Required bool
		SQL      hclspec.ColumnSQL
	}
	fields := func(m *hclspec.Model) []field {
		var out []field
		for _, f := range m.Fields {
			out = append(out, field{f.Name, f.Type.String(), f.Primary, f.Synced, f.Required, f.SQL})
		}
		return out
	}
	user := spec.Model("USER")
	if !user.D1Only() || user.PrimaryKey != "id" || user.PrimaryKeys != nil || user.KV != (hclspec.KV{}) {
		t.Errorf("USER: storage %q key %q keys %v kv %+v", user.Storage, user.PrimaryKey, user.PrimaryKeys, user.KV)
	}
	want := []field{
		{"id", "integer", true, true, true, hclspec.ColumnSQL{Autoincrement: true}},
		{"email", "string", false, true, true, hclspec.ColumnSQL{Type: "VARCHAR(255)", Collate: "NOCASE", Unique: true}},
		{"age", "integer", false, true, false, hclspec.ColumnSQL{Check: "age >= 0"}},
		{"created_at", "timestamp", false, true, false, hclspec.ColumnSQL{Type: "DATETIME", Default: "CURRENT_TIMESTAMP"}},
		{"avatar", "blob", false, true, false, hclspec.ColumnSQL{}},
	}
	if diff := cmp.Diff(want, fields(user)); diff != "" {
		t.Errorf("USER fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"id", "email", "age", "created_at", "avatar"}, user.D1.SyncFields); diff != "" {
		t.Errorf("USER columns (-want +got):\n%s", diff)
	}

	mem := spec.Model("MEMBERSHIP")
	if mem.PrimaryKey != "org_id" || !cmp.Equal(mem.PrimaryKeys, []string{"org_id", "user_id"}) {
		t.Errorf("MEMBERSHIP key %q keys %v", mem.PrimaryKey, mem.PrimaryKeys)
	}
	want = []field{
		{"org_id", "integer", true, true, true, hclspec.ColumnSQL{}},
		{"user_id", "integer", true, true, true, hclspec.ColumnSQL{References: &hclspec.Reference{Table: "users", Columns: []string{"id"}, OnDelete: "CASCADE"}}},
		{"role", "string", false, true, false, hclspec.ColumnSQL{Default: "'member'"}},
		{"slug", "string", false, true, false, hclspec.ColumnSQL{}},
	}
	if diff := cmp.Diff(want, fields(mem)); diff != "" {
		t.Errorf("MEMBERSHIP fields (-want +got):\n%s", diff)
	}
	d1 := mem.D1
	d1.Indexes, d1.SyncFields = nil, nil
	wantD1 := hclspec.D1{
		Table: "memberships", Strict: true, WithoutRowid: true,
		Checks:  []string{"role IN ('member', 'admin')"},
		Uniques: [][]string{{"org_id", "slug"}},
		ForeignKeys: []hclspec.ForeignKey{{Columns: []string{"org_id", "slug"},
			Reference: hclspec.Reference{Table: "orgs", Columns: []string{"id", "slug"}, OnDelete: "SET NULL", OnUpdate: "NO ACTION"}}},
	}
	if diff := cmp.Diff(wantD1, d1, cmpopts.IgnoreFields(hclspec.ForeignKey{}, "DeclRange")); diff != "" {
		t.Errorf("MEMBERSHIP d1 (-want +got):\n%s", diff)
	}

	// A model with a KV side may declare its key as an integer; its
	// other column attributes need the field to be a column.
	note := spec.Model("NOTE")
	if note.D1Only() || note.KV.Namespace != "NOTE" || note.Fields[0].Type != hclspec.Integer || !note.Fields[0].Primary {
		t.Errorf("NOTE: storage %q kv %+v key field %+v", note.Storage, note.KV, note.Fields[0])
	}
	if got := note.Field("title").SQL; got != (hclspec.ColumnSQL{Type: "TEXT", Check: "length(title) <= 200"}) {
		t.Errorf("NOTE title SQL %+v", got)
	}
}

// TestAffinity checks SQLite's affinity rules and which field types each
// affinity holds.
func TestAffinity(t *testing.T) {
	for _, tc := range []struct {
		declared, affinity string
		allows, refuses    []hclspec.FieldType
	}{
		{"INTEGER", hclspec.AffinityInteger, []hclspec.FieldType{hclspec.Integer, hclspec.Boolean}, []hclspec.FieldType{hclspec.String, hclspec.Number}},
		{"BIGINT", hclspec.AffinityInteger, []hclspec.FieldType{hclspec.Integer}, []hclspec.FieldType{hclspec.Timestamp}},
		{"VARCHAR(255)", hclspec.AffinityText, []hclspec.FieldType{hclspec.String, hclspec.JSON, hclspec.Timestamp}, []hclspec.FieldType{hclspec.Integer, hclspec.Blob}},
		{"CLOB", hclspec.AffinityText, []hclspec.FieldType{hclspec.Text}, nil},
		{"BLOB", hclspec.AffinityBlob, []hclspec.FieldType{hclspec.Blob, hclspec.String}, nil},
		{"DOUBLE PRECISION", hclspec.AffinityReal, []hclspec.FieldType{hclspec.Number}, []hclspec.FieldType{hclspec.Integer}},
		{"FLOAT", hclspec.AffinityReal, []hclspec.FieldType{hclspec.Number}, nil},
		{"DATETIME", hclspec.AffinityNumeric, []hclspec.FieldType{hclspec.Timestamp, hclspec.String, hclspec.Integer}, []hclspec.FieldType{hclspec.Blob}},
		{"BOOLEAN", hclspec.AffinityNumeric, []hclspec.FieldType{hclspec.Boolean}, nil},
		{"DECIMAL(10,2)", hclspec.AffinityNumeric, []hclspec.FieldType{hclspec.Number}, nil},
		{"JSON", hclspec.AffinityNumeric, []hclspec.FieldType{hclspec.JSON}, nil},
		{"CHARINT", hclspec.AffinityInteger, nil, nil}, // INT wins over CHAR: rule order
	} {
		if got := hclspec.Affinity(tc.declared); got != tc.affinity {
			t.Errorf("Affinity(%q) = %s, want %s", tc.declared, got, tc.affinity)
		}
		for _, ft := range tc.allows {
			if !hclspec.AffinityAllows(tc.affinity, ft) {
				t.Errorf("%s affinity refuses %s", tc.affinity, ft)
			}
		}
		for _, ft := range tc.refuses {
			if hclspec.AffinityAllows(tc.affinity, ft) {
				t.Errorf("%s affinity allows %s", tc.affinity, ft)
			}
		}
	}
}
