package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// cmdFleetApply brings databases of a local fleet to the configuration,
// one by one, as a fleet's apply will (each with the tenant's view of the
// spec and the fleet's shared KV):
//
//	fleetapply DIR ENV NAME...
func cmdFleetApply(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: fleetapply DIR ENV NAME...")
	}
	if err := applyFleetMembers(ts.MkAbs(args[0]), args[1], args[2:]...); err != nil {
		ts.Fatalf("fleetapply: %v", err)
	}
}

// applyFleetMembers applies the configuration in dir to the named
// databases of the local fleet environment env.
func applyFleetMembers(dir, env string, names ...string) error {
	ctx := context.Background()
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		return diags
	}
	t, diags := spec.ResolveEnvironment(env, nil)
	if diags.HasErrors() || t.Fleet == nil || t.Backend != hclspec.BackendLocal {
		return fmt.Errorf("environment %s is no local fleet: %v", env, diags)
	}
	src, err := fleet.OpenLocal(ctx, filepath.Join(dir, t.Path), false)
	if err != nil {
		return err
	}
	defer src.Close()
	for _, name := range names {
		be, err := src.Open(ctx, fleet.Database{Name: name}, false)
		if err != nil {
			return err
		}
		live, err := backend.Inspect(ctx, be.D1(), be.KV())
		if err == nil {
			_, err = applier.Apply(ctx, be, planner.Diff(spec.Tenant(name), t.Environment, live), applier.Options{})
		}
		be.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
