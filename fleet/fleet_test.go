package fleet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

const fleetSpec = `
project "shop" {}
environment "tenants" {
  backend = "local"
  path    = "fleet"
  databases {
    names = ["a1", "a2", "b1", "d1", "e1", "u1", "zz"]
  }
}
model "ITEM" {
  field "name" { type = string }
  field "sku" { type = string }
  d1 {
    sync_fields = ["name", "sku"]
    index "by_sku" {
      columns = ["sku"]
      unique  = true
    }
  }
}
`

func loadSpec(t *testing.T, src string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return spec
}

// applyTo brings one database of the fleet to the spec.
func applyTo(t *testing.T, src fleet.Source, spec *hclspec.Spec, env string, db fleet.Database) backend.Backend {
	t.Helper()
	ctx := context.Background()
	name := db.Name
	be, err := src.Open(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	ts := spec.Tenant(name)
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applier.Apply(ctx, be, planner.Diff(ts, env, live), applier.Options{}); err != nil {
		t.Fatal(err)
	}
	return be
}

func exec(t *testing.T, be backend.Backend, sql ...string) {
	t.Helper()
	for _, s := range sql {
		if _, err := be.D1().Query(context.Background(), backend.Stmt{SQL: s}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// makeLocalFleet builds a local fleet in mixed states: a1, a2 current; b1
// fresh (an empty database); d1 drifted (its index dropped by hand); e1
// blocked (duplicate skus before the unique index); u1 unreachable (not a
// database file); zz listed and missing. a1 holds KV objects in the shared
// namespace, which must not show in b1's plan.
func makeLocalFleet(t *testing.T, spec *hclspec.Spec) (string, *fleet.Local) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "fleet")
	src, err := fleet.OpenLocal(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	a1 := applyTo(t, src, spec, "tenants", fleet.Database{Name: "a1"})
	applyTo(t, src, spec, "tenants", fleet.Database{Name: "a2"})
	d1 := applyTo(t, src, spec, "tenants", fleet.Database{Name: "d1"})
	exec(t, d1, `DROP INDEX item_by_sku`)
	e1, err := src.Open(ctx, fleet.Database{Name: "e1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer e1.Close()
	exec(t, e1, `CREATE TABLE "item" ("item_id" TEXT PRIMARY KEY NOT NULL, "name" TEXT, "sku" TEXT, "user_id" TEXT NOT NULL, "created_at" TEXT, "updated_at" TEXT, "deleted_at" TEXT)`,
		`INSERT INTO item VALUES ('x', 'n', 'same', 'u', NULL, NULL, NULL), ('y', 'n', 'same', 'u', NULL, NULL, NULL)`)
	b1, err := src.Open(ctx, fleet.Database{Name: "b1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	b1.Close()
	if err := os.MkdirAll(filepath.Join(dir, "u1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "u1", "d1.sqlite"), []byte("this is not a database file, it is text long enough to be read as a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	nss, err := a1.KV().Namespaces(ctx)
	if err != nil || len(nss) != 1 {
		t.Fatalf("namespaces = %v, %v", nss, err)
	}
	if err := a1.KV().Put(ctx, nss[0].ID, backend.Entry{Key: spec.Tenant("a1").Model("ITEM").KV.Key("x"), Value: []byte(`{"item_id":"x","name":"n","sku":"s"}`)}); err != nil {
		t.Fatal(err)
	}
	return dir, src
}

func TestPlanFleetLocal(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, fleetSpec)
	dir, _ := makeLocalFleet(t, spec)
	src, err := fleet.OpenLocal(ctx, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f := spec.Environment("tenants").Fleet
	dbs, err := fleet.Resolve(ctx, f, "", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fleet.PlanFleet(ctx, spec, "tenants", f, src, dbs, fleet.Options{Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]fleet.Status{}
	for _, d := range res.Databases {
		status[d.Database.Name] = d.Status
		if d.Status == fleet.StatusUnreachable && !strings.Contains(d.Error, "u1") {
			t.Errorf("%s unreachable: %q does not name the database", d.Database.Name, d.Error)
		}
	}
	want := map[string]fleet.Status{"a1": fleet.StatusCurrent, "a2": fleet.StatusCurrent, "b1": fleet.StatusChanges,
		"d1": fleet.StatusChanges, "e1": fleet.StatusBlocked, "u1": fleet.StatusUnreachable, "zz": fleet.StatusMissing}
	for n, s := range want {
		if status[n] != s {
			t.Errorf("%s: status %s, want %s", n, status[n], s)
		}
	}
	var groups []string
	for _, g := range res.Groups {
		groups = append(groups, string(g.Status)+":"+strings.Join(g.Databases, ","))
	}
	// b1 (create the table and its index) and d1 (create the index) are
	// two groups of changes; a1 and a2 one group.
	if got := strings.Join(groups, " "); got != "changes:b1 changes:d1 blocked:e1 unreachable:u1 missing:zz current:a1,a2" {
		t.Errorf("groups = %s", got)
	}
	for _, g := range res.Groups {
		if g.Status == fleet.StatusBlocked && (len(g.Plan.Blocked()) != 1 || g.Plan.Blocked()[0].Code != planner.CodeUniqueDuplicates) {
			t.Errorf("e1's plan: %+v", g.Plan.Blocked())
		}
		if g.Databases[0] == "b1" {
			if hasAction(g.Plan, planner.Backfill) {
				t.Errorf("b1's plan fills from another tenant's objects: %+v", g.Plan.Steps)
			}
		}
	}
	// Without the tenant prefix, a1's object would be b1's: the check
	// above is not vacuous.
	b1, err := src.Open(ctx, fleet.Database{Name: "b1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer b1.Close()
	shared := loadSpec(t, strings.Replace(fleetSpec, "field \"name\"", "kv { key_pattern = \"a1/item:{id}\" }\n  field \"name\"", 1))
	p, err := fleet.DiffPlan("tenants")(ctx, b1, shared, fleet.Database{Name: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAction(p, planner.Backfill) {
		t.Errorf("a plan reading a1's keys does not refill from them; the isolation check proves nothing: %+v", p.Steps)
	}
}

func hasAction(p *planner.Plan, a planner.Action) bool {
	for _, s := range p.Steps {
		if s.Action == a {
			return true
		}
	}
	return false
}

// jurisdictions is a local fleet whose databases report jurisdictions, as
// the D1 list API does.
type jurisdictions struct {
	*fleet.Local
	of map[string]string
}

func (j jurisdictions) List(ctx context.Context) ([]fleet.Database, error) {
	dbs, err := j.Local.List(ctx)
	for i := range dbs {
		dbs[i].Jurisdiction = j.of[dbs[i].Name]
	}
	return dbs, err
}

// With create, a listed database that does not exist is to be created
// (its plan: an empty database's); with a jurisdiction, a live database
// elsewhere is blocked (DM140) and one in it is planned as usual.
func TestPlanFleetCreateAndJurisdiction(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, fleetSpec)
	dir, _ := makeLocalFleet(t, spec)
	local, err := fleet.OpenLocal(ctx, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	src := jurisdictions{local, map[string]string{"a1": "eu", "a2": ""}}
	f := &hclspec.Fleet{Names: []string{"a1", "a2", "new1", "new2"}, Create: true, Jurisdiction: "eu"}
	dbs, err := fleet.Resolve(ctx, f, "", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fleet.PlanFleet(ctx, spec, "tenants", f, src, dbs, fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range res.Groups {
		groups = append(groups, string(g.Status)+":"+strings.Join(g.Databases, ","))
		switch g.Status {
		case fleet.StatusBlocked:
			if b := g.Plan.Blocked(); len(b) != 1 || b[0].Code != planner.CodeJurisdiction || !strings.Contains(b[0].Reason, `jurisdiction = "eu", and this database's jurisdiction is none`) {
				t.Errorf("a2's blocked steps: %+v", b)
			}
		case fleet.StatusCreate:
			if !hasAction(g.Plan, planner.CreateTable) || hasAction(g.Plan, planner.Backfill) {
				t.Errorf("the plan of a database to create: %+v", g.Plan.Steps)
			}
		}
	}
	if got := strings.Join(groups, " "); got != "create:new1,new2 blocked:a2 current:a1" {
		t.Errorf("groups = %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "new1")); !os.IsNotExist(err) {
		t.Errorf("plan created new1's directory: %v", err)
	}
}
