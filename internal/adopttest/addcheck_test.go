package adopttest

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

func TestAddColumnCheckLocal(t *testing.T)   { addColumnCheck(t, localTarget) }
func TestAddColumnCheckWorkerd(t *testing.T) { addColumnCheck(t, workerdTarget) }

// addColumnCheck: SQLite tests a new column's CHECK against every existing
// row, each holding the default. A default the CHECK refuses blocks the
// column (DM124) at plan time, where apply used to fail; a default it
// accepts, or a table without rows, plans the ADD COLUMN, which applies.
func addColumnCheck(t *testing.T, open target) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		rows    bool
		field   string
		blocked bool
	}{
		{"default fails the check", true, `field "level" {
    type    = integer
    default = 0
    check   = "level > 0"
  }`, true},
		{"default passes the check", true, `field "level" {
    type    = integer
    default = 1
    check   = "level > 0"
  }`, false},
		{"check naming another column", true, `field "level" {
    type    = integer
    default = 5
    check   = "level > id"
  }`, true},
		{"no rows", false, `field "level" {
    type    = integer
    default = 0
    check   = "level > 0"
  }`, false},
		{"NULL passes", true, `field "level" {
    type  = integer
    check = "level > 0"
  }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := open(t)
			exec(t, be, `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)`)
			if tc.rows {
				exec(t, be, `INSERT INTO items (id, name) VALUES (3, 'a'), (7, 'b')`)
			}
			spec, diags := hclspec.LoadSources("check", map[string][]byte{"m.dm.hcl": []byte(`
model "ITEM" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "name" { type = string }
  ` + tc.field + `
  d1 { table = "items" }
}
`)})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			live, err := backend.Inspect(ctx, be.D1(), nil)
			if err != nil {
				t.Fatal(err)
			}
			fails, err := applier.CheckViolations(ctx, be.D1(), planner.CheckProbes(spec, "local", live))
			if err != nil {
				t.Fatal(err)
			}
			p := planner.Diff(spec, "local", live, planner.WithCheckViolations(fails))
			b := p.Blocked()
			if tc.blocked {
				if len(b) != 1 || b[0].Code != planner.CodeAddColumnConstraint || b[0].Target != "items.level" {
					t.Fatalf("want DM124 on items.level, got\n%s", describe(p))
				}
				// The database agrees: the ADD COLUMN fails.
				sql := "ALTER TABLE items ADD COLUMN level INTEGER DEFAULT " + map[bool]string{true: "0", false: "5"}[tc.name == "default fails the check"] + " CHECK (" + map[bool]string{true: "level > 0", false: "level > id"}[tc.name == "default fails the check"] + ")"
				if _, err := be.D1().Query(ctx, backend.Stmt{SQL: sql}); err == nil {
					t.Errorf("%s: the database took it", sql)
				}
				return
			}
			if len(b) != 0 || len(p.Steps) != 1 {
				t.Fatalf("want one add_column, got\n%s", describe(p))
			}
			exec(t, be, p.Steps[0].SQL...)
			if p := plan(t, be, spec); len(p.Steps) > 0 {
				t.Errorf("after the ADD COLUMN: want No changes, got\n%s", describe(p))
			}
		})
	}
}
