package main

import (
	"context"
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
	ctx := context.Background()
	dir := ts.MkAbs(args[0])
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		ts.Fatalf("fleetapply: %v", diags)
	}
	t, diags := spec.ResolveEnvironment(args[1], nil)
	if diags.HasErrors() || t.Fleet == nil || t.Backend != hclspec.BackendLocal {
		ts.Fatalf("fleetapply: environment %s is no local fleet: %v", args[1], diags)
	}
	src, err := fleet.OpenLocal(ctx, filepath.Join(dir, t.Path), false)
	if err != nil {
		ts.Fatalf("fleetapply: %v", err)
	}
	defer src.Close()
	for _, name := range args[2:] {
		be, err := src.Open(ctx, fleet.Database{Name: name}, false)
		if err != nil {
			ts.Fatalf("fleetapply: %v", err)
		}
		live, err := backend.Inspect(ctx, be.D1(), be.KV())
		if err == nil {
			_, err = applier.Apply(ctx, be, planner.Diff(spec.Tenant(name), t.Environment, live), applier.Options{})
		}
		be.Close()
		if err != nil {
			ts.Fatalf("fleetapply %s: %v", name, err)
		}
	}
}
