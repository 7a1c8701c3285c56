package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/state"
)

const indexKindsHCL = `
model "ACCOUNT" {
  field "email"  { type = string }
  field "name"   { type = string }
  field "status" { type = string }
  field "nick"   { type = string }
  d1 {
    sync_fields = ["email", "name", "status"]
    index "plain"  { columns = ["status", "email"] }
    index "lower"  {
      keys   = ["LOWER(\"Email\")"]
      unique = true
    }
    index "nocase" { keys = ["name COLLATE nocase", "created_at DESC"] }
    index "partial" {
      columns = ["status"]
      where   = "status <> 'done'"
    }
    index "live" {
      columns = ["email"]
      unique  = "live"
    }
    index "live_or" {
      keys   = ["email COLLATE NOCASE"]
      unique = "live"
      where  = "status = 'a' or status = 'b'"
    }
  }
}
`

// TestCreateIndexKinds checks the CREATE INDEX each kind of index block
// plans on an empty target: keys, collations, order and the condition,
// unique = "live" as a partial unique index over the rows not deleted.
func TestCreateIndexKinds(t *testing.T) {
	p := Diff(loadSpec(t, indexKindsHCL), "local", &state.Schema{})
	got := map[string]string{}
	for _, s := range p.Steps {
		if s.Action == CreateIndex {
			got[s.Target] = strings.Join(s.SQL, ";")
		}
	}
	want := map[string]string{
		"account_plain":   `CREATE INDEX "account_plain" ON "account" ("status", "email")`,
		"account_lower":   `CREATE UNIQUE INDEX "account_lower" ON "account" (lower(email))`,
		"account_nocase":  `CREATE INDEX "account_nocase" ON "account" ("name" COLLATE NOCASE, "created_at" DESC)`,
		"account_partial": `CREATE INDEX "account_partial" ON "account" ("status") WHERE status <> 'done'`,
		"account_live":    `CREATE UNIQUE INDEX "account_live" ON "account" ("email") WHERE deleted_at IS NULL`,
		"account_live_or": `CREATE UNIQUE INDEX "account_live_or" ON "account" ("email" COLLATE NOCASE) WHERE (status = 'a' OR status = 'b') AND deleted_at IS NULL`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CREATE INDEX statements (-want +got):\n%s", d)
	}
	// Planned against what it creates, the spec has no changes.
	if again := Diff(loadSpec(t, indexKindsHCL), "local", liveOf(loadSpec(t, indexKindsHCL))); again.HasChanges() {
		t.Errorf("plan against its own result: %+v", again.Steps)
	}
}

// TestIndexKindDrift changes one property of each declared index on the
// live side and checks that every change blocks, naming the index.
func TestIndexKindDrift(t *testing.T) {
	tests := []struct {
		index string
		edit  func(ix *state.Index)
		code  string
		say   string
	}{
		{"account_lower", func(ix *state.Index) { ix.Keys[0].Expr = "upper(email)" }, CodeIndexDefinition, "the expression upper(email), the declared one lower(email)"},
		{"account_lower", func(ix *state.Index) { ix.Columns, ix.Keys = []string{"email"}, nil }, CodeIndexDefinition, "is the column email, the declared one the expression lower(email)"},
		{"account_nocase", func(ix *state.Index) { ix.Keys[0].Collate = "" }, CodeIndexDefinition, "name is compared with the column's collation in the live index, COLLATE NOCASE"},
		{"account_nocase", func(ix *state.Index) { ix.Keys[1].Desc = false }, CodeIndexDefinition, "created_at is ascending in the live index, descending"},
		{"account_partial", func(ix *state.Index) { ix.Where = "" }, CodeIndexDefinition, "the declared index is partial (WHERE status <> 'done'), the live one covers every row"},
		{"account_partial", func(ix *state.Index) { ix.Where = "status <> 'open'" }, CodeIndexDefinition, "WHERE status <> 'open', the declared one WHERE status <> 'done'"},
		{"account_live", func(ix *state.Index) { ix.Where = "" }, CodeIndexDefinition, "the declared index is partial (WHERE deleted_at IS NULL), the live one covers every row"},
		{"account_live", func(ix *state.Index) { ix.Unique = false }, CodeIndexChanged, "the declared index is unique, the live one is not"},
		{"account_live_or", func(ix *state.Index) { ix.Where = "status = 'a' OR status = 'b' AND deleted_at IS NULL" }, CodeIndexDefinition, "the declared one WHERE (status = 'a' OR status = 'b') AND deleted_at IS NULL"},
		{"account_plain", func(ix *state.Index) { ix.Keys = []state.IndexKey{{}, {Collate: "NOCASE"}} }, CodeIndexDefinition, "email is compared with COLLATE NOCASE in the live index"},
	}
	for _, tt := range tests {
		t.Run(tt.index+" "+tt.say, func(t *testing.T) {
			spec := loadSpec(t, indexKindsHCL)
			live := liveOf(spec)
			tt.edit(live.Table("account").Index(tt.index))
			p := Diff(spec, "local", live)
			var found bool
			for _, s := range p.Blocked() {
				if s.Target != tt.index {
					t.Errorf("blocked %s (%s), want only %s", s.Target, s.Code, tt.index)
					continue
				}
				found = true
				if s.Code != tt.code || !strings.Contains(s.Reason, tt.say) || !strings.Contains(s.Hint, "DROP INDEX \""+tt.index+"\"") {
					t.Errorf("blocked %s: %s\n%s\nhint %s\nwant code %s saying %q", s.Target, s.Code, s.Reason, s.Hint, tt.code, tt.say)
				}
			}
			if !found {
				t.Errorf("no blocked step for %s; plan %+v", tt.index, p.Steps)
			}
		})
	}
}

// TestIndexKindProbes checks the duplicate probe of unique indexes with
// expression or COLLATE keys and conditions, and that an index whose
// expression or condition reads a column the plan cannot add waits for
// it (DM108).
func TestIndexKindProbes(t *testing.T) {
	spec := loadSpec(t, indexKindsHCL)
	live := liveOf(spec)
	tbl := live.Table("account")
	tbl.Indexes = nil
	tbl.HasRows = true
	got := UniqueIndexProbes(spec, "local", live)
	want := []UniqueIndexProbe{
		{Index: "account_lower", Table: "account", Columns: []string{"email"}, Terms: []string{"lower(email)"}},
		{Index: "account_live", Table: "account", Columns: []string{"email", "deleted_at"}, Terms: []string{`"email"`}, Where: "deleted_at IS NULL"},
		{Index: "account_live_or", Table: "account", Columns: []string{"email", "status", "deleted_at"}, Terms: []string{`"email" COLLATE NOCASE`},
			Where: "(status = 'a' OR status = 'b') AND deleted_at IS NULL"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("probes (-want +got):\n%s", d)
	}
	p := Diff(spec, "local", live, WithUniqueViolations(map[string]bool{"account_live_or": true}))
	var hint string
	for _, s := range p.Blocked() {
		if s.Target == "account_live_or" && s.Code == CodeUniqueDuplicates {
			hint = s.Hint
		}
	}
	if w := `SELECT "email" COLLATE NOCASE, COUNT(*) FROM "account" WHERE (status = 'a' OR status = 'b') AND deleted_at IS NULL GROUP BY "email" COLLATE NOCASE HAVING COUNT(*) > 1`; !strings.Contains(hint, w) {
		t.Errorf("DM112 hint %q, want it to hold %q", hint, w)
	}

	// A partial index on a column whose add is blocked waits for it.
	spec = loadSpec(t, strings.Replace(indexKindsHCL, `field "status" { type = string }`, `field "status" {
    type     = string
    required = true
  }`, 1))
	live = liveOf(spec)
	tbl = live.Table("account")
	tbl.HasRows = true
	tbl.Indexes = nil
	tbl.Columns = slicesDelete(tbl.Columns, "status")
	p = Diff(spec, "local", live)
	for _, name := range []string{"account_partial", "account_live_or"} {
		found := false
		for _, s := range p.Blocked() {
			found = found || (s.Target == name && s.Code == CodeIndexNeedsColumn)
		}
		if !found {
			t.Errorf("%s: no DM108 step; blocked %+v", name, p.Blocked())
		}
	}
}

func slicesDelete(cols []*state.Column, name string) []*state.Column {
	var out []*state.Column
	for _, c := range cols {
		if c.Name != name {
			out = append(out, c)
		}
	}
	return out
}
