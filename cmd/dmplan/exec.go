package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// execute applies the job's plan to its target, reporting each step to
// the view as it lands. The applier refuses a stale plan and records the
// apply in the target's history.
func (c *cli) execute(ctx context.Context, job *applyJob, v view.Apply) (view.ApplyResult, error) {
	be, err := c.openBackend(ctx, job.target, false)
	if err != nil {
		return view.ApplyResult{}, redact(err, job.target)
	}
	defer be.Close()
	// The namespaces are listed again here, not taken from the plan: the
	// plan was inspected before the lock.
	seeds, done, err := c.seeder(ctx, job.spec, job.target, be, nil)
	if err != nil {
		return view.ApplyResult{}, redact(err, job.target)
	}
	defer done()
	bf, bfProgress, err := c.backfiller(ctx, job, be)
	if err != nil {
		return view.ApplyResult{}, redact(err, job.target)
	}
	var gw *gatewayDeployer
	if job.target.Gateway != nil {
		ws, err := asWorkersStore(be, job.target)
		if err != nil {
			return view.ApplyResult{}, err
		}
		gw = &gatewayDeployer{c: c, ws: ws, spec: job.spec, t: job.target}
		if job.plan.DeploysWorker() {
			// Before anything runs: a deploy without its secret would
			// fail after the schema changed.
			if _, _, err := c.gatewaySecrets(job.target); err != nil {
				return view.ApplyResult{}, err
			}
		}
	}
	started := false
	var replan func(context.Context, *state.Schema) (*planner.Plan, error)
	if !job.saved {
		// The plan was made before the lock: if the live schema changed
		// since, the applier plans again under it (same steps: applied;
		// none left: nothing to do; others: refused).
		replan = func(ctx context.Context, live *state.Schema) (*planner.Plan, error) {
			d, diags, err := c.derivePlan(ctx, be, job.spec, job.target, true, live)
			if err == nil && diags.HasErrors() {
				err = errors.New(diags.Error())
			}
			if err != nil {
				return nil, err
			}
			return d.plan, nil
		}
	}
	rep, err := applier.Apply(ctx, be, job.plan, applier.Options{
		Replan:           replan,
		Backfiller:       bf,
		BackfillProgress: bfProgress,
		ToolVersion:      "dmplan " + toolVersion(),
		Actor:            c.getenv("DMPLAN_ACTOR"),
		Logger:           c.logger(),
		Seeder:           seeds,
		LockTimeout:      job.lockTimeout,
		Gateway:          gatewayOption(gw),
		// The bookmark is taken once the lock is held: one taken while
		// waiting would also undo what the holder wrote.
		RestorePoint: func(ctx context.Context) string { return c.restorePoint(ctx, be) },
		// History stores errors: without the target's secrets or account.
		Redact: func(err error) string { return redact(err, job.target).Error() },
		Progress: func(ev applier.Event) {
			if !started { // announced once work has begun, not before a refusal
				started = true
				v.Applying(job.desc, job.plan)
			}
			v.Step(ev.Step, ev.Err)
		},
	})
	if err != nil {
		// Restore advice only when something may have been written: a
		// refusal before the lock or the first step has no report.
		bookmark := ""
		if rep != nil {
			bookmark = rep.Bookmark
		}
		return view.ApplyResult{}, redact(withRestore(applyError(err, job.saved), bookmark, job.target), job.target)
	}
	n := 0
	for _, s := range rep.Steps {
		if s.Outcome == applier.StepApplied {
			n++
		}
	}
	outcome := view.OutcomeApplied
	if rep.Outcome == state.OutcomeNoOp {
		outcome = view.OutcomeNoChanges
	}
	gatewayURL := ""
	if gw != nil {
		gatewayURL = gw.url
	}
	var steps []view.StepCost
	for _, s := range rep.Steps {
		if s.Cost != nil {
			steps = append(steps, view.StepCost{Index: s.Index, Action: s.Action, Target: s.Target, Cost: *s.Cost})
		}
	}
	return view.ApplyResult{
		Cost: rep.Cost, StepCosts: steps,
		GatewayURL: gatewayURL,
		PlanID:     rep.PlanID, Outcome: outcome, StepsApplied: n,
		FingerprintBefore: rep.FingerprintBefore, FingerprintAfter: rep.FingerprintAfter,
		StartedAt: rep.StartedAt.UTC(), FinishedAt: rep.StartedAt.Add(rep.Duration).UTC(),
		DurationMS: rep.Duration.Milliseconds(),
	}, nil
}

// applyError words the applier's refusals for the command line.
func applyError(err error, saved bool) error {
	msg := strings.TrimPrefix(err.Error(), "applier: ")
	if errors.Is(err, applier.ErrStalePlan) && !saved {
		msg = "the live schema changed after the plan was made, and planning again under the lock gives other steps, so nothing was applied; review them with dmplan plan, then run dmplan apply again (" + msg + ")"
	}
	return &shownError{msg: msg, err: err}
}

// shownError is an error reworded for people, still unwrapping to the
// original.
type shownError struct {
	msg string
	err error
}

func (e *shownError) Error() string { return e.msg }
func (e *shownError) Unwrap() error { return e.err }

// readHistory lists the target's recorded applies, newest first.
func (c *cli) readHistory(ctx context.Context, t *hclspec.Target, limit int) ([]view.HistoryEntry, error) {
	be, err := c.openBackend(ctx, t, true)
	if err != nil {
		return nil, redact(err, t)
	}
	defer be.Close()
	recs, err := applier.History(ctx, be.D1(), limit)
	if err != nil {
		return nil, redact(err, t)
	}
	out := make([]view.HistoryEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, historyEntry(r))
	}
	return out, nil
}

func historyEntry(r state.HistoryRecord) view.HistoryEntry {
	steps := 0
	for _, s := range r.Steps {
		if s.Action != "blocked" {
			steps++
		}
	}
	finished := r.FinishedAt
	if finished.IsZero() && r.DurationMS > 0 {
		finished = r.StartedAt.Add(time.Duration(r.DurationMS) * time.Millisecond)
	}
	return view.HistoryEntry{
		PlanID: r.PlanID, Outcome: r.Outcome, Steps: steps,
		FingerprintBefore: r.FingerprintBefore, FingerprintAfter: r.FingerprintAfter,
		ToolVersion: r.ToolVersion, Actor: r.Actor, Counts: r.Counts,
		StartedAt: r.StartedAt.UTC(), FinishedAt: finished.UTC(), Error: r.Error,
		Bookmark: r.Bookmark,
	}
}

// gatewayOption is the deployer as the applier takes it: a nil interface
// without one.
func gatewayOption(d *gatewayDeployer) applier.GatewayDeployer {
	if d == nil {
		return nil
	}
	return d
}
