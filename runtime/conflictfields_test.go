package runtime

import (
	"slices"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

// TestConstraintFields checks which fields a refused constraint's text
// names: the columns of "table.column" lists (any case), the fields an
// index named by SQLite reads (its expression keys included), none for
// other constraints.
func TestConstraintFields(t *testing.T) {
	spec, diags := hclspec.LoadSources("cf", map[string][]byte{"m.dm.hcl": []byte(`
model "MEMBER" {
  field "email" { type = string }
  field "org"   { type = string }
  d1 {
    sync_fields = ["email", "org"]
    index "by_lower" {
      keys   = ["org", "lower(email)"]
      unique = "live"
    }
  }
}
`)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m, err := compileModel(spec.Model("MEMBER"))
	if err != nil {
		t.Fatal(err)
	}
	for constraint, want := range map[string][]string{
		"UNIQUE constraint failed: member.email":             {"email"},
		"UNIQUE constraint failed: MEMBER.Org, member.email": {"org", "email"},
		"UNIQUE constraint failed: index 'member_by_lower'":  {"org", "email"},
		"UNIQUE constraint failed: index 'other'":            nil,
		"NOT NULL constraint failed: member.nope":            nil,
		"CHECK constraint failed: length(email) > 3":         nil,
		"constraint failed":                                  nil,
	} {
		if got := m.constraintFields(constraint); !slices.Equal(got, want) {
			t.Errorf("constraintFields(%q) = %q, want %q", constraint, got, want)
		}
	}
}
