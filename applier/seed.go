package applier

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/planner"
)

// Seeder runs seeds through the runtime's save path, so KV and D1 stay
// consistent, validation applies and hooks run. runtime's Seeds implements
// it; the applier does not import the runtime.
type Seeder interface {
	// RunSeed evaluates the seed model.name again (re-reading the
	// environment: a plan never stores seeded values), checks its
	// condition against the target and writes what it must. Its outcome
	// says what that was: records created or updated, a D1 row restored
	// from the seed's KV object, or nothing (and why). Its errors never
	// hold an env-derived value.
	RunSeed(ctx context.Context, model, name string) (SeedOutcome, error)
}

// SeedOutcome is what one run of a seed wrote.
type SeedOutcome struct {
	// Written counts the records the seed created or updated through the
	// save path (KV and D1).
	Written int `json:"written"`
	// Restored counts the D1 rows written back from the seed's KV object:
	// its record was in KV and its row was missing from D1.
	Restored int `json:"restored,omitempty"`
	// Note says why nothing was written, in words that never hold a
	// seeded value: "a users row matches email".
	Note string `json:"note,omitempty"`
}

// Records is every record the seed wrote to D1 or KV.
func (o SeedOutcome) Records() int { return o.Written + o.Restored }

// SeedResult is what one seed step wrote.
type SeedResult struct {
	Model string `json:"model"`
	Name  string `json:"name"`
	// Records is every record written (SeedOutcome.Records).
	Records int `json:"records"`
	SeedOutcome
}

// seeding reports whether the plan has seed steps.
func (a *run) seeding() bool {
	for _, s := range a.p.Steps {
		if s.Action == planner.Seed {
			return true
		}
	}
	return false
}

// seeds runs the seed steps in plan order, after every schema change.
func (a *run) seeds(ctx context.Context) error {
	for i, s := range a.p.Steps {
		if s.Action != planner.Seed {
			continue
		}
		if err := a.before(i, s); err != nil {
			return err
		}
		name := strings.TrimPrefix(s.Target, s.Model+".")
		var o SeedOutcome
		cost, err := stepCost(ctx, func(ctx context.Context) error {
			var err error
			o, err = a.opts.Seeder.RunSeed(ctx, s.Model, name)
			return err
		})
		a.report.Steps[i].Cost = &cost
		if err != nil {
			return &StepError{Index: i, Step: s, Err: fmt.Errorf("run seed: %w", err)}
		}
		n := o.Records()
		if i < len(a.rec.Steps) {
			a.rec.Steps[i].Records = &n
		}
		a.report.applied(i, s, 0)
		a.report.Steps[i].Records = n
		a.report.Steps[i].Seed = &o
		a.report.SeedsRun = append(a.report.SeedsRun, SeedResult{Model: s.Model, Name: name, Records: n, SeedOutcome: o})
		a.progressSeed(i, s, o)
	}
	return nil
}
