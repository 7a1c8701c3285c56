// Package operator is the operator side of a dmplan data model: the work
// that changes a target's schema or repairs its data, built on the runtime,
// the planner and the applier. Services that only read and write records
// import runtime alone and link none of this.
//
//   - Initialize (and InitializeHandler, its HTTP endpoint) brings a target
//     in line with the Spec from a running service, as `dmplan apply` does:
//     the spec's DataModel.initialize.
//   - Seeds runs the Spec's seed blocks through the runtime's System handle
//     (the applier's Seeder); PlanStatus decides them for a plan made
//     without their env vars, with what Remember recorded at apply.
//   - Inspect reads what a plan needs of a target's D1 database (schema,
//     unfinished backfills, remembered seeds) in two requests;
//     StoredObjects looks for the objects a recreated table is refilled
//     from.
//   - Backfill fills new D1 columns of existing rows from their KV objects
//     (the applier's Backfiller), resuming an interrupted run.
//   - Reconcile compares every KV object with its D1 row and, with Fix,
//     rewrites D1 from KV.
//
// Every function takes the *runtime.Datastore to work on:
//
//	ds, err := runtime.Open(ctx, spec, be)
//	rep, err := operator.Initialize(ctx, ds)
//	rc, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true})
package operator
