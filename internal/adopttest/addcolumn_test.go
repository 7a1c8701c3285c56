package adopttest

import (
	"context"
	"slices"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

func TestAddColumnLocal(t *testing.T)   { addColumn(t, localTarget) }
func TestAddColumnWorkerd(t *testing.T) { addColumn(t, workerdTarget) }

// addColumn checks ADD COLUMN of columns with constraints on a table with
// rows: CHECK, COLLATE and REFERENCES (NULL default) are added and then
// plan as "No changes"; UNIQUE and REFERENCES with a default are blocked
// (DM124), and the database indeed refuses them.
func addColumn(t *testing.T, open target) {
	be := open(t)
	exec(t, be,
		`CREATE TABLE orgs (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO orgs (id) VALUES (1)`,
		`INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')`,
	)
	base := `
model "ORG" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  d1 { table = "orgs" }
}
model "ITEM" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "name" { type = string }
`
	load := func(fields string) *hclspec.Spec {
		spec, diags := hclspec.LoadSources("add", map[string][]byte{"m.dm.hcl": []byte(base + fields + "\n  d1 { table = \"items\" }\n}\n")})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return spec
	}
	spec := load(`
  field "qty" {
    type    = integer
    default = 1
    check   = "qty > 0"
  }
  field "code" {
    type    = string
    collate = "NOCASE"
  }
  field "org_id" {
    type       = integer
    references = "orgs.id"
    on_delete  = "set null"
  }`)
	p := plan(t, be, spec)
	var n int
	for _, s := range p.Steps {
		if s.Action != planner.AddColumn {
			t.Fatalf("step %s %s %s: %s", s.Action, s.Code, s.Target, s.Reason)
		}
		exec(t, be, s.SQL...)
		n++
	}
	if n != 3 {
		t.Fatalf("%d add-column steps, want 3:\n%s", n, describe(p))
	}
	if p := plan(t, be, spec); len(p.Steps) > 0 || len(p.Notes) > 0 {
		t.Fatalf("after adding: want No changes, got\n%s", describe(p))
	}

	for _, tc := range []struct {
		name, field, refused string
	}{
		{"unique", `
  field "sku" {
    type   = string
    unique = true
  }`, `ALTER TABLE items ADD COLUMN sku TEXT UNIQUE`},
		{"reference with a default", `
  field "owner" {
    type       = integer
    default    = 1
    references = "orgs.id"
  }`, `ALTER TABLE items ADD COLUMN owner INTEGER DEFAULT 1 REFERENCES orgs (id)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(t, be, load(`
  field "qty" {
    type    = integer
    default = 1
    check   = "qty > 0"
  }
  field "code" {
    type    = string
    collate = "NOCASE"
  }
  field "org_id" {
    type       = integer
    references = "orgs.id"
    on_delete  = "set null"
  }`+tc.field))
			var codes []string
			for _, s := range p.Steps {
				codes = append(codes, s.Code)
			}
			if !slices.Equal(codes, []string{planner.CodeAddColumnConstraint}) {
				t.Fatalf("codes %v, want [%s]\n%s", codes, planner.CodeAddColumnConstraint, describe(p))
			}
			if _, err := be.D1().Query(context.Background(), backend.Stmt{SQL: tc.refused}); err == nil {
				t.Errorf("%s: the database accepted it; the block is not needed", tc.refused)
			}
		})
	}
}
