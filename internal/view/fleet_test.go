package view

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// memSource is a fleet whose databases are in-memory stores; the plans
// come from the test's PlanFunc.
type memSource struct{}

func (memSource) List(context.Context) ([]fleet.Database, error) { return nil, nil }
func (memSource) Open(ctx context.Context, _ fleet.Database, _ bool) (backend.Backend, error) {
	return local.OpenMemory(ctx)
}
func (memSource) KV() backend.KV { return nil }
func (memSource) Close() error   { return nil }

func fleetResult(t *testing.T) *fleet.Result {
	t.Helper()
	var dbs []fleet.Database
	for i := range 8 {
		dbs = append(dbs, fleet.Database{Name: fmt.Sprintf("t%d", i)})
	}
	dbs = append(dbs, fleet.Database{Name: "new", Missing: true})
	add := func(db fleet.Database) *planner.Plan {
		if db.Missing {
			return &planner.Plan{Steps: []planner.Step{{Action: planner.CreateTable, Model: "ITEM", Target: "item", SQL: []string{`CREATE TABLE "item" ("item_id" TEXT PRIMARY KEY)`}}}}
		}
		return &planner.Plan{Steps: []planner.Step{{Action: planner.AddColumn, Model: "ITEM", Target: "item.sku", SQL: []string{`ALTER TABLE "item" ADD COLUMN "sku" TEXT`}, Reason: "model ITEM syncs field sku"}}}
	}
	res, err := fleet.PlanFleet(context.Background(), &hclspec.Spec{}, "tenants", &hclspec.Fleet{Names: []string{"x"}, Create: true}, memSource{}, dbs,
		fleet.Options{Plan: func(_ context.Context, _ backend.Backend, _ *hclspec.Spec, db fleet.Database) (*planner.Plan, error) {
			return add(db), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFleetPlanViews(t *testing.T) {
	res := fleetResult(t)
	target := Target{Environment: "tenants", Backend: "cloudflare", Database: "fleet (names)"}
	var out bytes.Buffer
	NewFleetPlan(Human, Streams{Out: &out, Err: &out}).Plan(FleetReport{Project: "shop", Target: target, Result: res})
	for _, want := range []string{
		"== 8 databases to change: t0, t1, t2, t3, t4 and 3 more\n  ITEM\n    ~ add column item.sku\n",
		"== 1 database to create: new\n  + create database\n  ITEM\n    + create table item\n",
		"Fleet: 9 databases: 8 to change, 1 to create.\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("human output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	NewFleetPlan(Markdown, Streams{Out: &out, Err: &out}).Plan(FleetReport{Project: "shop", Target: target, Result: res})
	for _, want := range []string{
		"<!-- dmplan plan project=shop env=tenants -->\n### dmplan plan (fleet)\n",
		"| 8 | changes | ~ add column item.sku |\n",
		"| 1 | create | `+` create database; + create table item |\n",
		"<summary>Group 1: 8 databases to change: t0, t1, t2, t3, t4 and 3 more</summary>",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	NewDrift(Human, Streams{Out: &out, Err: &out}).Drift(FleetReport{Project: "shop", Target: target, Result: res})
	if want := "  create   new  + create database, + create table item\n"; !strings.Contains(out.String(), want) {
		t.Errorf("drift lacks %q:\n%s", want, out.String())
	}
	if n := strings.Count(out.String(), "\n  changes  t"); n != 8 {
		t.Errorf("drift lists %d databases to change, want 8:\n%s", n, out.String())
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, ""}, {1, "a0"}, {5, "a0, a1, a2, a3, a4"}, {6, "a0, a1, a2, a3, a4 and 1 more"}, {1000, "a0, a1, a2, a3, a4 and 995 more"},
	}
	for _, tt := range tests {
		names := make([]string, tt.n)
		for i := range names {
			names[i] = fmt.Sprintf("a%d", i)
		}
		if got := Names(names, FleetNames); got != tt.want {
			t.Errorf("Names(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
