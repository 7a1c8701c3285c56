package applier

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/planner"
)

// KVFiller copies the rows of a table into KV objects: the FillKV steps
// of a model that was D1-only and now keeps its records in KV.
// operator.KVFiller implements it.
type KVFiller interface {
	// MarkFill records the step as started before the apply creates the
	// namespace, so an apply killed before the fill's first page plans
	// the step again.
	MarkFill(ctx context.Context, req FillKVRequest) error
	// FillKV copies the rows, page by page, recording its progress;
	// called again with the same RunID after an interruption, it
	// resumes after the last page it finished. It never replaces an
	// object KV already holds.
	FillKV(ctx context.Context, req FillKVRequest) (FillKVResult, error)
}

// FillKVRequest is one FillKV step.
type FillKVRequest struct {
	Model, Table string
	RunID        string
	Progress     func(BackfillProgress)
	// Stop as in BackfillRequest.
	Stop <-chan struct{}
}

// FillKVResult is what a FillKV step did: rows read, objects put, and
// keys that already held an object (left alone).
type FillKVResult struct {
	Checked, Written, Kept int64
	ResumedAfter           string
}

// filling reports whether the plan has FillKV steps.
func (a *run) filling() bool { return a.p.Counts()[planner.FillKV] > 0 }

// markFills records every FillKV step as started (see KVFiller.MarkFill).
func (a *run) markFills(ctx context.Context) error {
	for i, s := range a.p.Steps {
		if s.Action != planner.FillKV {
			continue
		}
		if err := a.opts.KVFiller.MarkFill(ctx, FillKVRequest{Model: s.Model, Table: s.Target, RunID: a.p.ID}); err != nil {
			return &StepError{Index: i, Step: s, Err: fmt.Errorf("record the fill as started: %w", err)}
		}
	}
	return nil
}

// fillKV runs one FillKV step through Options.KVFiller.
func (a *run) fillKV(ctx context.Context, i int, s planner.Step) error {
	req := FillKVRequest{Model: s.Model, Table: s.Target, RunID: a.p.ID, Stop: a.opts.Stop}
	return a.pagedStep(ctx, i, s, "rows", "fill kv", func(ctx context.Context, progress func(BackfillProgress)) (int64, int64, error) {
		req.Progress = progress
		res, err := a.opts.KVFiller.FillKV(ctx, req)
		return res.Checked, res.Written, err
	})
}
