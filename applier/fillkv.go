package applier

import (
	"context"
	"errors"
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
	if err := a.before(i, s); err != nil {
		return err
	}
	req := FillKVRequest{Model: s.Model, Table: s.Target, RunID: a.p.ID, Stop: a.opts.Stop}
	if a.opts.BackfillProgress != nil {
		req.Progress = func(p BackfillProgress) { a.opts.BackfillProgress(i, s, p) }
	}
	var res FillKVResult
	cost, err := stepCost(ctx, func(ctx context.Context) error {
		var err error
		res, err = a.opts.KVFiller.FillKV(ctx, req)
		return err
	})
	a.report.Steps[i].Cost = &cost
	if errors.Is(err, ErrInterrupted) {
		return fmt.Errorf("%w during step %d (%s) after %s rows, its progress kept (the next apply resumes it): %d of %d steps applied",
			ErrInterrupted, i+1, s.Summary(), groupDigits(res.Checked), a.done, a.total)
	}
	if err != nil {
		return &StepError{Index: i, Step: s, Err: fmt.Errorf("fill kv: %w", err)}
	}
	n := int(res.Written)
	if i < len(a.rec.Steps) {
		a.rec.Steps[i].Records = &n
	}
	a.report.applied(i, s, 0)
	a.report.Steps[i].Records = n
	a.progressRecords(i, s, n)
	return nil
}
