package hclspec_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dmplan/dmplan/hclspec"
)

// TestIndexKeysWhereLive decodes each kind of index block and checks the
// Index it gives and the condition it is created with.
func TestIndexKeysWhereLive(t *testing.T) {
	src := `
model "ACCOUNT" {
  field "email"  { type = string }
  field "name"   { type = string }
  field "status" { type = string }
  field "org"    { type = string }
  d1 {
    sync_fields = ["email", "name", "status", "org"]
    index "plain"   { columns = ["email"] }
    index "lower"   { keys = ["LOWER( Email )"] }
    index "nocase"  {
      keys   = ["name collate nocase", "created_at DESC", "(org)"]
      unique = false
    }
    index "partial" {
      columns = ["status"]
      where   = "  \"status\" <> 'done'  "
    }
    index "live"    {
      columns = ["org", "email"]
      unique  = "live"
    }
    index "live_where" {
      keys   = ["email COLLATE NOCASE"]
      unique = "live"
      where  = "status = 'a' OR status = 'b'"
    }
    index "live_same" {
      columns = ["name"]
      unique  = "live"
      where   = "DELETED_AT is null"
    }
    index "imported" {
      name    = "idx-Accounts-Email"
      columns = ["email"]
    }
  }
}
`
	spec, diags := hclspec.LoadSources("idx", map[string][]byte{"idx.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type want struct {
		ix   hclspec.Index
		cond string
	}
	tests := []want{
		{hclspec.Index{Label: "plain", Name: "account_plain", Columns: []string{"email"}}, ""},
		{hclspec.Index{Label: "lower", Name: "account_lower", Columns: []string{"<expr>"}, Keys: []hclspec.IndexKey{{Expr: "lower(email)"}}}, ""},
		{hclspec.Index{Label: "nocase", Name: "account_nocase", Columns: []string{"name", "created_at", "org"},
			Keys: []hclspec.IndexKey{{Column: "name", Collate: "NOCASE"}, {Column: "created_at", Desc: true}, {Column: "org"}}}, ""},
		{hclspec.Index{Label: "partial", Name: "account_partial", Columns: []string{"status"}, Where: `"status" <> 'done'`}, "status <> 'done'"},
		{hclspec.Index{Label: "live", Name: "account_live", Columns: []string{"org", "email"}, Unique: true, UniqueLive: true}, "deleted_at IS NULL"},
		{hclspec.Index{Label: "live_where", Name: "account_live_where", Columns: []string{"email"}, Unique: true, UniqueLive: true,
			Keys: []hclspec.IndexKey{{Column: "email", Collate: "NOCASE"}}, Where: "status = 'a' OR status = 'b'"},
			"(status = 'a' OR status = 'b') AND deleted_at IS NULL"},
		{hclspec.Index{Label: "live_same", Name: "account_live_same", Columns: []string{"name"}, Unique: true, UniqueLive: true, Where: "DELETED_AT is null"},
			"deleted_at IS NULL"},
		{hclspec.Index{Label: "imported", Name: "idx-Accounts-Email", Columns: []string{"email"}}, ""},
	}
	m := spec.Model("ACCOUNT")
	if len(m.D1.Indexes) != len(tests) {
		t.Fatalf("%d indexes, want %d", len(m.D1.Indexes), len(tests))
	}
	for i, tt := range tests {
		got := m.D1.Indexes[i]
		if diff := cmp.Diff(tt.ix, *got, cmpopts.IgnoreFields(hclspec.Index{}, "DeclRange")); diff != "" {
			t.Errorf("index %s (-want +got):\n%s", tt.ix.Label, diff)
		}
		if c := got.Condition(); c != tt.cond {
			t.Errorf("index %s: Condition() = %q, want %q", tt.ix.Label, c, tt.cond)
		}
		if live := strings.HasSuffix(tt.cond, "deleted_at IS NULL"); got.OnlyLive() != live {
			t.Errorf("index %s: OnlyLive() = %v, want %v", tt.ix.Label, got.OnlyLive(), live)
		}
	}
}
