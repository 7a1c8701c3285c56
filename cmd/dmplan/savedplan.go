package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// A saved plan is data anyone with the file could have edited, so dmplan
// never runs its statements on trust: it derives the plan again from the
// sources the file carries, with the same planner options, and uses the
// saved plan only if every step matches (action, target and SQL, in
// order; ids and times aside). Seed steps carry no SQL and the applier
// checks their condition again when it runs them, so a saved seed step
// needs only to name a seed the sources declare; seeds the plan was made
// without (their variables unset, see planner.SeedStatus.Unset) run then.

// errPlanMismatch says a saved plan's steps are not what its sources give.
var errPlanMismatch = errors.New("saved plan does not match its sources")

// matchSavedSteps compares the saved steps with the derived ones and
// returns the plan to run: the derived executable steps followed by the
// saved seed steps, each rebuilt from the seed the sources declare.
func matchSavedSteps(spec *hclspec.Spec, saved, derived []planner.Step) ([]planner.Step, error) {
	seeds := map[string]*hclspec.Seed{}
	for _, sd := range spec.Seeds {
		seeds[planner.SeedKey(sd.Model, sd.Name)] = sd
	}
	derivedSeeds := map[string]planner.Step{}
	var want, workers []planner.Step
	for _, s := range derived {
		if s.Action == planner.Seed {
			derivedSeeds[s.Target] = s
			continue
		}
		if s.Action.IsWorker() {
			workers = append(workers, s)
			continue
		}
		want = append(want, s)
	}
	var out, seedSteps []planner.Step
	savedWorker := false
	next := 0
	for i, s := range saved {
		differs := fmt.Errorf("%w: step %d (%s %s) differs; re-run dmplan plan", errPlanMismatch, i+1, s.Action, s.Target)
		if s.Action.IsWorker() {
			// A worker step makes the Worker what the sources say: the
			// derived one runs (or none, when the Worker already is).
			if len(workers) > 0 && workers[0].Target != s.Target {
				return nil, differs
			}
			savedWorker = true
			continue
		}
		if s.Action == planner.Seed {
			sd := seeds[s.Target]
			if sd == nil || len(s.SQL) > 0 || (s.Model != "" && s.Model != sd.Model) {
				return nil, differs
			}
			step, ok := derivedSeeds[s.Target]
			if !ok {
				step = planner.Step{Action: planner.Seed, Model: sd.Model, Target: s.Target, Reason: s.Reason, Safe: true}
			}
			seedSteps = append(seedSteps, step)
			continue
		}
		if next >= len(want) || !sameStep(s, want[next]) {
			return nil, differs
		}
		out = append(out, want[next])
		next++
	}
	for _, s := range derived {
		if s.Action == planner.Seed && !slices.ContainsFunc(seedSteps, func(o planner.Step) bool { return o.Target == s.Target }) {
			return nil, fmt.Errorf("%w: the target needs seed %s, which the plan lacks (a step was removed from the file, or the seed's records since); re-run dmplan plan",
				errPlanMismatch, s.Target)
		}
	}
	if next < len(want) {
		return nil, fmt.Errorf("%w: its sources give step %d (%s %s), which it lacks; re-run dmplan plan",
			errPlanMismatch, len(saved)+1, want[next].Action, want[next].Target)
	}
	if len(workers) > 0 && !savedWorker {
		return nil, fmt.Errorf("%w: its sources give step %s %s (the live Worker changed since), which it lacks; re-run dmplan plan",
			errPlanMismatch, workers[0].Action, workers[0].Target)
	}
	if savedWorker {
		out = append(out, workers...)
	}
	return append(out, seedSteps...), nil
}

// sameStep compares what a step does: its action, target and SQL.
func sameStep(a, b planner.Step) bool {
	return a.Action == b.Action && a.Target == b.Target && slices.Equal(a.SQL, b.SQL) && a.Code == b.Code
}

// checkSavedPlan prepares a saved plan for apply against the target: it
// refuses a plan already applied there, a stale plan, a plan whose seeds
// cannot run (an unset variable, reported as diagnostics) and a plan whose
// steps its sources do not give. It returns the plan to run.
func (c *cli) checkSavedPlan(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, saved *planner.Plan) (*planner.Plan, hcl.Diagnostics, error) {
	be, err := c.openBackend(ctx, t, true)
	if err != nil {
		return nil, nil, redact(err, t)
	}
	defer be.Close()
	if at, ok, err := appliedAt(ctx, be, saved.ID); err != nil {
		return nil, nil, redact(err, t)
	} else if ok {
		return nil, nil, fmt.Errorf("plan %s was already applied at %s; nothing was applied (run dmplan plan for a new one)",
			saved.ID, at.UTC().Format(time.DateTime+" UTC"))
	}
	d, diags, err := c.derivePlan(ctx, be, spec, t, true, nil)
	if err != nil {
		return nil, diags, err
	}
	if d.plan.Fingerprint != saved.Fingerprint {
		if t.Backend == hclspec.BackendLocal && !fileExists(filepath.Join(t.Path, local.D1File)) {
			return nil, diags, fmt.Errorf("%w: the plan was made against the local database in %s, which no longer exists (was the project moved?); run plan again where it is now",
				applier.ErrStalePlan, c.relPath(t.Path))
		}
		return nil, diags, fmt.Errorf("%w: the live schema changed since the plan was made (fingerprint %.12s, plan made against %.12s); run plan again",
			applier.ErrStalePlan, d.plan.Fingerprint, saved.Fingerprint)
	}
	if err := newlyBlocked(saved, d.plan); err != nil {
		return nil, diags, err
	}
	steps, err := matchSavedSteps(spec, saved.Steps, d.plan.Steps)
	if err != nil {
		return nil, diags, err
	}
	p := *d.plan
	p.ID, p.CreatedAt, p.Steps = saved.ID, saved.CreatedAt, steps
	return &p, diags, nil
}

// newlyBlocked refuses a saved plan that the target's data now blocks
// although its schema did not change (the fingerprint matched): rows that
// now share a unique index's values (DM112), say. That is the target
// having moved on, not an edited file, and the error says so with the
// blocked step's reason and hint.
func newlyBlocked(saved, derived *planner.Plan) error {
	for _, b := range derived.Blocked() {
		was := slices.ContainsFunc(saved.Blocked(), func(s planner.Step) bool { return s.Target == b.Target && s.Code == b.Code })
		if was {
			continue
		}
		msg := fmt.Sprintf("%s %s is now blocked by the target's data: %s", b.Code, b.Target, b.Reason)
		if b.Hint != "" {
			msg += " (" + b.Hint + ")"
		}
		return fmt.Errorf("%w: %s; nothing was applied: resolve it, then run plan again", applier.ErrStalePlan, msg)
	}
	return nil
}

// appliedAt reports when the plan with the id was applied to the target,
// from its history.
func appliedAt(ctx context.Context, be backend.Backend, id string) (time.Time, bool, error) {
	if id == "" {
		return time.Time{}, false, nil
	}
	recs, err := applier.History(ctx, be.D1(), 0)
	if err != nil {
		return time.Time{}, false, err
	}
	for _, r := range recs {
		if r.PlanID == id && r.Outcome == state.OutcomeApplied {
			return r.StartedAt, true, nil
		}
	}
	return time.Time{}, false, nil
}

// verifyShown derives a saved plan again from the sources, live schema and
// pending backfills it carries, for show, which touches no database. It
// returns the plan to show, or why the file cannot be trusted.
func verifyShown(pf *planFile) (*planner.Plan, error) {
	srcs := make(map[string][]byte, len(pf.Sources))
	for name, s := range pf.Sources {
		srcs[name] = []byte(s)
	}
	spec, diags := hclspec.LoadSources(pf.Project, srcs)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: its sources do not load (%d errors); re-run dmplan plan", errPlanMismatch, len(diags.Errs()))
	}
	if spec.Hash() != pf.SpecHash {
		return nil, fmt.Errorf("%w: they do not match their hash; re-run dmplan plan", errPlanMismatch)
	}
	if pf.Live == nil {
		return nil, fmt.Errorf("%w: it lacks the live schema it was made against (an older dmplan wrote it); re-run dmplan plan", errPlanMismatch)
	}
	if pf.Plan.LiveFingerprint(pf.Live) != pf.Plan.Fingerprint {
		return nil, fmt.Errorf("%w: its live schema does not have its fingerprint; re-run dmplan plan", errPlanMismatch)
	}
	// The seeds it plans, as the status that gives them: apply checks
	// each seed's condition again.
	status := map[string]planner.SeedStatus{}
	for _, sd := range spec.Seeds {
		status[planner.SeedKey(sd.Model, sd.Name)] = planner.SeedStatus{}
	}
	for _, s := range pf.Plan.Steps {
		if s.Action == planner.Seed {
			status[s.Target] = planner.SeedStatus{Records: 1}
		}
	}
	d := planner.Diff(spec, pf.Environment, pf.Live, planner.WithSeedStatus(status), planner.WithPendingBackfills(pf.Pending),
		planner.WithGateway(pf.Gateway), planner.WithStoredObjects(pf.Stored),
		planner.WithTargets(pf.Plan.Targets), planner.WithFillKV())
	steps, err := matchSavedSteps(spec, pf.Plan.Steps, d.Steps)
	if err != nil {
		return nil, err
	}
	if err := pf.checkSteps(); err != nil {
		return nil, err
	}
	p := *d
	p.ID, p.CreatedAt, p.Steps = pf.Plan.ID, pf.Plan.CreatedAt, steps
	for i, s := range steps { // seed reasons as saved: they describe the target when it was planned
		if s.Action == planner.Seed {
			for _, o := range pf.Plan.Steps {
				if o.Action == planner.Seed && o.Target == s.Target {
					steps[i].Reason = o.Reason
				}
			}
		}
	}
	return &p, nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
