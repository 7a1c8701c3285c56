package fleet

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// PlanFunc plans one database of the fleet: be is the database opened
// read-only with the fleet's KV, spec the tenant's view of the spec
// (hclspec.Spec.Tenant). The CLI passes its own, which also checks the
// seeds.
type PlanFunc func(ctx context.Context, be backend.Backend, spec *hclspec.Spec, db Database) (*planner.Plan, error)

// DiffPlan is the PlanFunc without seeds: operator.Inspect (two D1
// requests, the namespaces from the fleet's remembered list), the
// unique-index probes and refill peeks when the plan needs them, and
// planner.Diff with opts. Seeds of existing tables are left unchecked
// (note DM206).
func DiffPlan(env string, opts ...planner.Option) PlanFunc {
	return func(ctx context.Context, be backend.Backend, spec *hclspec.Spec, db Database) (*planner.Plan, error) {
		last := applier.LastApplyProbe()
		in, err := operator.Inspect(ctx, be.D1(), be.KV(), last)
		if err != nil {
			return nil, fmt.Errorf("inspect database %s: %w", db.Name, err)
		}
		dups, err := applier.UniqueViolations(ctx, be.D1(), planner.UniqueIndexProbes(spec, env, in.Live))
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", db.Name, err)
		}
		// A column added with a CHECK and a default to a table with rows:
		// one read (only then) tells whether a row fails it (DM124).
		checkFails, err := applier.CheckViolations(ctx, be.D1(), planner.CheckProbes(spec, env, in.Live))
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", db.Name, err)
		}
		stored, err := operator.StoredObjects(ctx, be.KV(), in.Live, planner.RefillPeeks(spec, env, in.Live))
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", db.Name, err)
		}
		all := append([]planner.Option{planner.WithPendingBackfills(in.Pending),
			planner.WithUniqueViolations(dups), planner.WithCheckViolations(checkFails), planner.WithStoredObjects(stored)}, opts...)
		return planner.Diff(spec, env, in.Live, all...), nil
	}
}
