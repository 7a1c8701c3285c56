package main

import (
	"context"
	"errors"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var errNoApplier = errors.New("apply is not wired to the applier yet")

// execute applies the job's plan to its target.
func (c *cli) execute(ctx context.Context, job *applyJob) (view.ApplyResult, error) {
	return view.ApplyResult{}, errNoApplier
}

// readHistory lists the target's recorded applies, newest first.
func (c *cli) readHistory(ctx context.Context, t *hclspec.Target, limit int) ([]view.HistoryEntry, error) {
	return nil, errNoApplier
}
