package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
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
	kvf, err := c.kvFiller(ctx, job, be)
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
			pending, err := operator.PendingBackfills(ctx, be.D1())
			if err != nil {
				return nil, err
			}
			d, diags, err := c.derivePlan(ctx, be, job.spec, job.target, true, &inspected{live: live, pending: pending})
			if err == nil && diags.HasErrors() {
				err = errors.New(diags.Error())
			}
			if err != nil {
				return nil, err
			}
			return d.plan, nil
		}
	}
	// The first interrupt from here on stops the apply after its running
	// batch; a second ends the process (see cli.interrupt).
	stop := make(chan struct{})
	var once sync.Once
	var lease atomic.Pointer[applier.LockInfo]
	defer c.whileApplying(func() { once.Do(func() { close(stop) }) },
		func() string { return leftBehind(job, lease.Load()) })()
	rep, err := applier.Apply(ctx, be, job.plan, applier.Options{
		Stop:             stop,
		Locked:           func(l applier.LockInfo) { lease.Store(&l) },
		Replan:           replan,
		Backfiller:       bf,
		KVFiller:         kvf,
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
			v.Step(ev.Step, stepOutcome(ev), ev.Err)
		},
	})
	if errors.Is(err, applier.ErrInterrupted) {
		return view.ApplyResult{}, redact(interruptedError(err, rep), job.target)
	}
	if err != nil {
		// Restore advice only when something may have been written: a
		// refusal before the lock or the first step has no report.
		bookmark := ""
		if rep != nil {
			bookmark = rep.Bookmark
		}
		return view.ApplyResult{}, redact(withRestore(applyError(err, job.saved), bookmark, job.target), job.target)
	}
	if len(job.spec.Seeds) > 0 {
		c.rememberSeeds(ctx, seeds, job.seeds)
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
	if rep.Replanned != nil {
		// What the view shows from here on: the plan that ran.
		job.plan = rep.Replanned
	}
	var interrupted []view.InterruptedApply
	for _, i := range rep.Interrupted {
		interrupted = append(interrupted, view.InterruptedApply{HistoryID: i.ID, PlanID: i.PlanID, Actor: i.Actor, StartedAt: i.StartedAt.UTC()})
	}
	return view.ApplyResult{
		Cost: rep.Cost, StepCosts: steps,
		InterruptedApplies: interrupted, Warnings: rep.Warnings, Replanned: rep.Replanned != nil,
		GatewayURL: gatewayURL,
		PlanID:     rep.PlanID, Outcome: outcome, StepsApplied: n,
		FingerprintBefore: rep.FingerprintBefore, FingerprintAfter: rep.FingerprintAfter,
		StartedAt: rep.StartedAt.UTC(), FinishedAt: rep.StartedAt.Add(rep.Duration).UTC(),
		DurationMS: rep.Duration.Milliseconds(),
		Written:    written(rep),
	}, nil
}

// stepOutcome is what a step the applier reports wrote, for the view.
func stepOutcome(ev applier.Event) view.StepOutcome {
	o := view.StepOutcome{Records: ev.Records}
	if ev.Seed != nil {
		o.Restored, o.Note = ev.Seed.Restored, ev.Seed.Note
	}
	return o
}

// written sums what the seed and backfill steps of an apply wrote; nil
// when the plan has neither.
func written(rep *applier.Report) *view.Written {
	var w view.Written
	found := false
	for _, s := range rep.Steps {
		if s.Outcome != applier.StepApplied {
			continue
		}
		switch s.Action {
		case planner.Backfill:
			found = true
			w.BackfillRows += s.Records
		case planner.Seed:
			found = true
			if s.Seed == nil {
				w.SeedRecords += s.Records
				continue
			}
			w.SeedRecords += s.Seed.Written
			w.SeedRestored += s.Seed.Restored
			if s.Seed.Records() == 0 {
				w.SeedsUnchanged++
			}
		}
	}
	if !found {
		return nil
	}
	return &w
}

// interruptedError words an apply stopped by an interrupt: how far it
// got, that the lock is free, and what to run next.
func interruptedError(err error, rep *applier.Report) error {
	msg := strings.TrimPrefix(err.Error(), "applier: ") + "."
	if rep != nil && rep.Outcome == state.OutcomeInterrupted {
		msg += " The lock is released, and history records this apply as interrupted." +
			" Run dmplan plan to see what is left; dmplan apply finishes it."
	} else {
		msg += " The target was not changed."
	}
	return &shownError{msg: msg, err: err}
}

// leftBehind is what a second interrupt leaves: the lease, when taken,
// and the apply's history row.
func leftBehind(job *applyJob, l *applier.LockInfo) string {
	if l == nil {
		return "The lock was not taken yet, so the target was not changed."
	}
	return fmt.Sprintf("Left behind: the target's lock (id %s; its lease runs out by itself within %s, or free it now with: %s)"+
		" and this apply's history row, still marked running (the next apply marks it interrupted)."+
		" Run dmplan plan to see what is left.", l.ID, applier.DefaultLease, unlockLine(job, l.ID))
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
	out, err := c.historyEntries(ctx, be, recs)
	return out, redact(err, t)
}

// historyEntries turns records into view entries. A row still running is
// unfinished unless an apply holds the lock now and it is the newest
// such row (that apply's own).
func (c *cli) historyEntries(ctx context.Context, be backend.Backend, recs []state.HistoryRecord) ([]view.HistoryEntry, error) {
	out := make([]view.HistoryEntry, 0, len(recs))
	held, checked, newest := false, false, true
	for _, r := range recs {
		e := historyEntry(r)
		if r.Outcome == state.OutcomeRunning {
			if !checked {
				l, err := applier.LockHolder(ctx, be.D1())
				if err != nil {
					return nil, err
				}
				held, checked = l != nil && l.ExpiresAt.After(time.Now()), true
			}
			e.Unfinished = !held || !newest
			newest = false
		}
		out = append(out, e)
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
	refs := r.Steps
	if refs == nil {
		refs = []state.StepRef{}
	}
	nss := r.Namespaces
	if nss == nil {
		nss = []state.Namespace{}
	}
	e := view.HistoryEntry{
		ID: r.ID, PlanID: r.PlanID, Outcome: r.Outcome, StepCount: steps, Steps: refs,
		FingerprintBefore: r.FingerprintBefore, FingerprintAfter: r.FingerprintAfter,
		ToolVersion: r.ToolVersion, Actor: r.Actor, Counts: r.Counts,
		StartedAt: r.StartedAt.UTC(), DurationMS: r.DurationMS, Error: r.Error, FailedStep: r.FailedStep,
		Namespaces: nss, Bookmark: r.Bookmark,
	}
	if !finished.IsZero() {
		e.FinishedAt = finished.UTC()
	}
	return e
}

// gatewayOption is the deployer as the applier takes it: a nil interface
// without one.
func gatewayOption(d *gatewayDeployer) applier.GatewayDeployer {
	if d == nil {
		return nil
	}
	return d
}
