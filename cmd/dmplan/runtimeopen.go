package main

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// openMaintenance opens the runtime for reconcile and backfill, which
// rebuild D1 rows from the KV objects and never save a record: HCL hooks
// (webhooks on create, update, delete) have nothing to fire for them. The
// runtime warns when a spec with hook blocks is opened without a hook
// runner, because a service that forgot one would silently drop its
// webhooks; these commands pass skipHooks to say they leave hooks out on
// purpose, so their output carries no such warning. Seeds are different:
// apply runs them through the save path with the webhook runner (see
// seeder), so a seeded record fires its hooks like any other write.
func (c *cli) openMaintenance(ctx context.Context, spec *hclspec.Spec, be backend.Backend, env string) (*runtime.Datastore, error) {
	ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment(env), runtime.WithLogger(c.logger()),
		runtime.WithHookRunner(skipHooks{}))
	if err != nil {
		return nil, fmt.Errorf("open runtime: %w", err)
	}
	return ds, nil
}

// skipHooks is the hook runner of maintenance commands: it runs nothing.
type skipHooks struct{}

func (skipHooks) RunHook(context.Context, *runtime.Event) error { return nil }
