package main

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// kvFiller opens the runtime for the plan's fill_kv steps (nil when it has
// none).
func (c *cli) kvFiller(ctx context.Context, job *applyJob, be backend.Backend) (applier.KVFiller, error) {
	if job.plan.Counts()[planner.FillKV] == 0 {
		return nil, nil
	}
	ds, err := c.openMaintenance(ctx, job.spec, be, job.target.Environment)
	if err != nil {
		return nil, fmt.Errorf("fill kv: %w", err)
	}
	return operator.KVFiller(ds), nil
}
