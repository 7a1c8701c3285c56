package main

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// backfiller opens the runtime for the plan's backfill steps (nil when it
// has none) and returns the progress callback: one status line on stderr,
// rewritten in place, when stderr is a terminal.
func (c *cli) backfiller(ctx context.Context, job *applyJob, be backend.Backend) (applier.Backfiller, func(int, planner.Step, applier.BackfillProgress), error) {
	if job.plan.Counts()[planner.Backfill] == 0 {
		return nil, nil, nil
	}
	ds, err := c.openMaintenance(ctx, job.spec, be, job.target.Environment)
	if err != nil {
		return nil, nil, fmt.Errorf("backfill: %w", err)
	}
	if !isTerminal(c.stderr) {
		return operator.Backfiller(ds), nil, nil
	}
	progress := func(_ int, s planner.Step, p applier.BackfillProgress) {
		line := view.ProgressLine(operator.Progress{Model: "backfill " + s.Target, Done: p.Done, Total: p.Total,
			Written: p.Written, Rate: p.Rate, ETA: p.ETA})
		end := ""
		if p.Total >= 0 && p.Done >= p.Total {
			end = "\n"
		}
		fmt.Fprintf(c.stderr, "\r\x1b[K%s%s", line, end)
	}
	return operator.Backfiller(ds), progress, nil
}
