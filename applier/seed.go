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
	// condition against the target and writes what it must. It returns
	// the number of records written: 0 when the condition no longer holds
	// or the stored record already has the data. Its errors never hold an
	// env-derived value.
	RunSeed(ctx context.Context, model, name string) (records int, err error)
}

// SeedResult is what one seed step wrote.
type SeedResult struct {
	Model   string `json:"model"`
	Name    string `json:"name"`
	Records int    `json:"records"`
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
		if err := a.lockErr(); err != nil {
			return &StepError{Index: i, Step: s, Err: err}
		}
		name := strings.TrimPrefix(s.Target, s.Model+".")
		var n int
		cost, err := stepCost(ctx, func(ctx context.Context) error {
			var err error
			n, err = a.opts.Seeder.RunSeed(ctx, s.Model, name)
			return err
		})
		a.report.Steps[i].Cost = &cost
		if err != nil {
			return &StepError{Index: i, Step: s, Err: fmt.Errorf("run seed: %w", err)}
		}
		if i < len(a.rec.Steps) {
			a.rec.Steps[i].Records = &n
		}
		a.report.applied(i, s, 0)
		a.report.Steps[i].Records = n
		a.report.SeedsRun = append(a.report.SeedsRun, SeedResult{Model: s.Model, Name: name, Records: n})
		a.progressRecords(i, s, n)
	}
	return nil
}
