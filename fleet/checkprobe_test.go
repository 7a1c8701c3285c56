package fleet_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/planner"
)

const checkSpecV1 = `
project "shop" {}
environment "tenants" {
  backend = "local"
  path    = "fleet"
  databases {
    names = ["t-a", "t-b"]
  }
}
model "ITEM" {
  storage = "d1"
  options {
    user_tracking = false
    auth          = false
  }
  field "name" { type = string }
}
`

// TestFleetCheckProbe: a new column with a CHECK and a default that some
// tenant's existing rows fail (SQLite tests the CHECK against every row
// when the column is added) is blocked DM124 in that database, in the
// fleet plan and in the rollout's own plan, instead of its apply failing;
// the other database gets the column.
func TestFleetCheckProbe(t *testing.T) {
	ctx := context.Background()
	v1 := loadSpec(t, checkSpecV1)
	v2 := loadSpec(t, strings.Replace(checkSpecV1, `field "name" { type = string }`, `field "name" { type = string }
  field "level" {
    type    = integer
    default = 0
    check   = "level > 0 OR name <> 'bad'"
  }`, 1))
	dir := filepath.Join(t.TempDir(), "fleet")
	src, err := fleet.OpenLocal(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for name, row := range map[string]string{"t-a": "good", "t-b": "bad"} {
		db := fleet.Database{Name: name, Missing: true, Create: true}
		be := applyTo(t, src, v1, "tenants", db)
		exec(t, be, `INSERT INTO item (item_id, name) VALUES ('x', '`+row+`')`)
	}
	f := v2.Environment("tenants").Fleet
	dbs, err := fleet.Resolve(ctx, f, "", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fleet.PlanFleet(ctx, v2, "tenants", f, src, dbs, fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]fleet.Status{}
	for _, d := range res.Databases {
		status[d.Database.Name] = d.Status
	}
	if status["t-a"] != fleet.StatusChanges || status["t-b"] != fleet.StatusBlocked {
		t.Fatalf("fleet plan statuses %v, want t-a to change, t-b blocked", status)
	}
	for _, g := range res.Groups {
		if g.Status == fleet.StatusBlocked && (g.Plan == nil || len(g.Plan.Blocked()) == 0 || g.Plan.Blocked()[0].Code != planner.CodeAddColumnConstraint) {
			t.Errorf("blocked group's plan %+v, want DM124", g.Plan)
		}
	}
	// The rollout plans each database from its own inspection.
	rep, err := fleet.Rollout(ctx, src, dbs, fleet.RolloutOptions{ID: "r-check", Environment: "tenants", Spec: v2, MaxFailures: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]fleet.RolloutResult{}
	for _, r := range rep.Results {
		got[r.Database] = r
	}
	if r := got["t-a"]; r.Status != fleet.OutcomeDone {
		t.Errorf("t-a: %+v, want done", r)
	}
	if r := got["t-b"]; r.Status != fleet.OutcomeBlocked || r.Code != planner.CodeAddColumnConstraint {
		t.Errorf("t-b: %+v, want blocked %s", r, planner.CodeAddColumnConstraint)
	}
}
