package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/planner"
)

// errFleetSavedPlan refuses plan -out on a fleet: a saved plan is checked
// against one database's live schema at apply; a fleet's apply plans each
// database again under that database's lock instead.
var errFleetSavedPlan = errors.New("a plan over a fleet of databases cannot be saved (-out): a saved plan is checked against one database's live schema, and dmplan apply plans each database of a fleet again under its own lock; drop -out, or plan one database by naming it in an environment of its own")

// errFleetTarget is returned by commands that work on one database when
// the environment is a fleet.
var errFleetTarget = errors.New("the environment is a fleet of databases (its databases block)")

// describeFleet names a fleet target for views: the selector, never a
// secret nor the account id.
func (c *cli) describeFleet(t *hclspec.Target) view.Target {
	d := view.Target{Environment: t.Environment, Backend: t.Backend, Database: "fleet (" + t.Fleet.Selector() + ")"}
	if t.Backend == hclspec.BackendLocal {
		d.Database = "fleet " + c.relPath(t.Path) + " (" + t.Fleet.Selector() + ")"
		if t.Sensitive["path"] {
			d.Database = "fleet " + sensitive + " (" + t.Fleet.Selector() + ")"
		}
	}
	if t.AccountID != "" {
		d.Account = shownAccount(t.AccountID)
	}
	return d
}

// openFleet opens where the fleet's databases live. readOnly (plan,
// drift) creates and writes nothing.
func (c *cli) openFleet(ctx context.Context, t *hclspec.Target, readOnly bool) (fleet.Source, error) {
	switch t.Backend {
	case hclspec.BackendLocal:
		return fleet.OpenLocal(ctx, t.Path, readOnly)
	case hclspec.BackendCloudflare:
		s, err := cloudflare.Open(ctx, cloudflare.Config{
			AccountID: t.AccountID, APIToken: t.APIToken, BaseURL: t.BaseURL,
			Environment: t.Environment, Getenv: c.getenv, Logger: c.logger(),
		})
		if err != nil {
			return nil, redact(fmt.Errorf("open environment %s: %w", t.Environment, err), t)
		}
		return fleet.NewCloudflare(s), nil
	default:
		return nil, fmt.Errorf("environment %s: unknown backend %q", t.Environment, t.Backend)
	}
}

// fleetPlanFunc plans one database of the fleet as plan does one
// database (seeds included), without the gateway: a fleet's gateway is
// not planned (see the README's Fleets section).
func (c *cli) fleetPlanFunc(t *hclspec.Target) fleet.PlanFunc {
	return func(ctx context.Context, be backend.Backend, spec *hclspec.Spec, db fleet.Database) (*planner.Plan, error) {
		tt := *t
		tt.Gateway, tt.Database = nil, db.Name
		d, diags, err := c.derivePlan(ctx, be, spec, &tt, false, nil)
		if err == nil && diags.HasErrors() {
			err = errors.New(diags.Error())
		}
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", db.Name, err)
		}
		return d.plan, nil
	}
}

// planFleetTarget resolves and plans every database of the fleet.
func (c *cli) planFleetTarget(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, base string, parallel int) (*fleet.Result, error) {
	src, err := c.openFleet(ctx, t, true)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dbs, err := c.resolveFleet(ctx, t, base, src)
	if err != nil {
		return nil, err
	}
	if len(dbs) == 0 {
		return nil, fmt.Errorf("%s: environment %s: its databases block (%s) %w", rangeStart(t.Fleet.DeclRange), t.Environment, t.Fleet.Selector(), fleet.ErrNoDatabases)
	}
	res, err := fleet.PlanFleet(ctx, spec, t.Environment, t.Fleet, src, dbs, fleet.Options{Parallel: parallel, Plan: c.fleetPlanFunc(t)})
	if err != nil {
		return nil, err
	}
	for _, d := range res.Databases {
		d.Error = redactText(d.Error, t)
		if t.Backend == hclspec.BackendLocal && !t.Sensitive["path"] {
			d.Error = strings.ReplaceAll(d.Error, t.Path, c.relPath(t.Path))
		}
	}
	return res, nil
}

// resolveFleet resolves the fleet's databases; an error reading its file
// of names points at the file attribute.
func (c *cli) resolveFleet(ctx context.Context, t *hclspec.Target, base string, src fleet.Source) ([]fleet.Database, error) {
	dbs, err := fleet.Resolve(ctx, t.Fleet, base, src)
	switch {
	case errors.Is(err, fleet.ErrNamesFile):
		return nil, redact(fmt.Errorf("%s: environment %s: %w", rangeStart(t.Fleet.FileRange), t.Environment, err), t)
	case err != nil:
		return nil, redact(fmt.Errorf("environment %s: %w", t.Environment, err), t)
	}
	return dbs, nil
}

// rangeStart is file:line:col of where r starts.
func rangeStart(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// planFleet is plan over a fleet: one plan per group of databases.
func (c *cli) planFleet(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, a planArgs, va viewArgs, pv view.Plan) int {
	v := view.FleetPlanFor(pv, a.Format, c.streams(va, &spec))
	if a.Out != "" {
		v.Error(errFleetSavedPlan)
		return exitError
	}
	if a.Parallel < 1 {
		v.Error(fmt.Errorf("-parallel %d: inspect at least 1 database at a time", a.Parallel))
		return exitError
	}
	res, err := c.planFleetTarget(ctx, spec, t, absDir(a.Dir), a.Parallel)
	if err != nil {
		v.Error(err)
		return exitError
	}
	v.Plan(view.FleetReport{Project: spec.Project.Name, Target: c.describeFleet(t), Result: res})
	return fleetExitCode(res, a.DetailedExitcode)
}

// fleetExitCode is 1 when a database is blocked, unreachable or missing;
// else, with detailed, 2 when a database has changes or is to be created;
// else 0.
func fleetExitCode(r *fleet.Result, detailed bool) int {
	n := r.Count()
	switch {
	case n[fleet.StatusBlocked]+n[fleet.StatusUnreachable]+n[fleet.StatusMissing] > 0:
		return exitError
	case detailed && n[fleet.StatusChanges]+n[fleet.StatusCreate] > 0:
		return exitChanges
	default:
		return exitOK
	}
}
