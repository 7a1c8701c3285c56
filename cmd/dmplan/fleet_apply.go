package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// rolloutDir is where rollout journals live, under the configuration
// directory: one JSON-lines file per rollout (see fleet.Journal).
const rolloutDir = ".dmplan/rollouts"

// fleetFlags are apply's flags for an environment with a databases block.
type fleetFlags struct {
	Canary      string // "5%" or "10"
	Batch       int
	Concurrency int
	MaxFailures int
	Resume      string
	Markdown    bool
}

// addFleetFlags declares the rollout flags on apply's flag set.
func addFleetFlags(fs *flag.FlagSet, f *fleetFlags) {
	fs.StringVar(&f.Canary, "canary", "", "fleet: the first wave, a number of databases or a share (\"5%\"); a change that fails to apply there stops the rollout")
	fs.IntVar(&f.Batch, "batch", 0, "fleet: databases per wave after the canary (0: all the rest in one wave)")
	fs.IntVar(&f.Concurrency, "concurrency", fleet.DefaultParallel, "fleet: databases applied at once")
	fs.IntVar(&f.MaxFailures, "max-failures", 0, "fleet: stop starting databases once more than this many failed")
	fs.StringVar(&f.Resume, "resume", "", "fleet: continue rollout ID where it stopped (default: the environment's unfinished rollout, if any)")
	fs.BoolVar(&f.Markdown, "markdown", false, "fleet: print the rollout report as markdown (a job summary)")
}

// parseCanary reads -canary: "" none, "N" databases, "P%" a share.
func parseCanary(s string) (n int, pct float64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		pct, err = strconv.ParseFloat(p, 64)
		if err != nil || pct <= 0 || pct > 100 {
			return 0, 0, fmt.Errorf("-canary %q: want a share above 0%% and at most 100%%", s)
		}
		return 0, pct, nil
	}
	n, err = strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("-canary %q: want a number of databases or a share such as 5%%", s)
	}
	return n, 0, nil
}

// isFleetApply reports whether DIR's environment is a fleet, loading it
// without printing anything (apply prints diagnostics as it always does
// when it is not).
func (c *cli) isFleetApply(a applyArgs) bool {
	if isPlanFile(a.Path) {
		return false
	}
	env := a.Env
	if env == "" {
		env = c.envDefault()
	}
	var spec *hclspec.Spec
	if diags, err := loadDir(a.Path, &spec); err != nil || diags.HasErrors() || spec == nil {
		return false
	}
	t, diags := spec.ResolveEnvironment(env, c.lookupEnv)
	return !diags.HasErrors() && t != nil && t.Fleet != nil
}

// fleetApply rolls DIR's spec out to the fleet of the environment: it
// plans every database (two requests each), shows the groups, asks for
// approval naming the environment and the counts, then applies in waves
// (one request per database for an additive change), recording progress
// in a journal so a re-run or -resume continues where it stopped.
func (c *cli) fleetApply(ctx context.Context, a applyArgs) int {
	fail := func(err error) int {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return exitError
	}
	// With -json or -markdown stdout holds only the report.
	info := c.stdout
	if a.Format == view.JSON || a.Fleet.Markdown {
		info = c.stderr
	}
	canary, canaryPct, err := parseCanary(a.Fleet.Canary)
	if err != nil {
		return fail(err)
	}
	if len(a.Targets) > 0 {
		return fail(errors.New("-target is not supported over a fleet: a rollout applies every model"))
	}
	if a.Fleet.Concurrency < 1 || a.Fleet.Batch < 0 || a.Fleet.MaxFailures < 0 {
		return fail(fmt.Errorf("-concurrency must be at least 1, -batch and -max-failures at least 0"))
	}
	env := a.Env
	if env == "" {
		env = c.envDefault()
	}
	var spec *hclspec.Spec
	diags, err := loadDir(a.Path, &spec)
	if err != nil {
		return fail(err)
	}
	base := absDir(a.Path)
	t, tdiags := c.resolveTarget(spec, env, base)
	if err := checkEnvDiags(c.envName(env), append(diags, tdiags...)); err != nil {
		return fail(err)
	}
	src, err := c.openFleet(ctx, t, false)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	var store *cloudflare.Store // counts the API requests for the report
	if cf, ok := src.(*fleet.Cloudflare); ok {
		store = cf.Account
	}
	dbs, err := fleet.Resolve(ctx, t.Fleet, base, src)
	if err != nil {
		return fail(redact(err, t))
	}
	if len(dbs) == 0 {
		return fail(fmt.Errorf("environment %s: its databases block (%s) selects no database", t.Environment, t.Fleet.Selector()))
	}

	// The journal: the one asked for, else the environment's unfinished
	// rollout, else a new one (written once the rollout is approved).
	dir := filepath.Join(base, rolloutDir)
	var j *fleet.Journal
	path := ""
	if a.Fleet.Resume != "" {
		path = fleet.JournalPath(dir, a.Fleet.Resume)
	} else if path, err = fleet.LatestUnfinished(dir, t.Environment); err != nil {
		return fail(err)
	}
	id := fleet.NewRolloutID(time.Now())
	digest := specDigest(spec)
	var todo []fleet.Database
	if path != "" {
		if j, err = fleet.OpenJournal(path); err != nil {
			return fail(err)
		}
		defer j.Close()
		if j.Header.Environment != t.Environment {
			return fail(fmt.Errorf("%w: rollout %s is of environment %s", fleet.ErrResumeMismatch, j.Header.Rollout, j.Header.Environment))
		}
		if j.Header.SpecDigest != digest {
			// The databases it finished have the other spec: trusting
			// its journal would leave them behind this one.
			if a.Fleet.Resume != "" {
				return fail(fmt.Errorf("%w: rollout %s applied another version of the *.dm.hcl files; apply without -resume starts a new rollout",
					fleet.ErrResumeMismatch, j.Header.Rollout))
			}
			fmt.Fprintf(info, "Rollout %s was of another version of the *.dm.hcl files and stopped before the end: starting a new rollout.\n", j.Header.Rollout)
			if err := j.Finish(time.Now().UTC()); err != nil {
				return fail(err)
			}
			j = nil
		}
	}
	if j != nil {
		id = j.Header.Rollout
		fmt.Fprintf(info, "Continuing rollout %s (started %s): %d databases recorded.\n",
			id, j.Header.Started.UTC().Format(time.RFC3339), len(j.Results()))
		// Databases the journal says are finished are not planned again.
		for _, db := range dbs {
			if _, ok := j.Final(db.Name); !ok {
				todo = append(todo, db)
			}
		}
	} else {
		todo = dbs
	}

	planned := map[string]*planner.Plan{}
	// fingerprints holds each database's own fingerprints (before, after)
	// for its history: a group's plan carries its first database's.
	fingerprints := map[string][2]string{}
	if len(todo) > 0 {
		res, err := fleet.PlanFleet(ctx, spec, t.Environment, t.Fleet, src, todo,
			fleet.Options{Parallel: a.Fleet.Concurrency, Plan: c.fleetPlanFunc(t)})
		if err != nil {
			return fail(redact(err, t))
		}
		for _, d := range res.Databases {
			d.Error = redactText(d.Error, t)
			if d.Fingerprint != "" {
				fingerprints[d.Database.Name] = [2]string{d.Fingerprint, d.FingerprintAfter}
			}
		}
		streams := c.streams(viewArgs{NoColor: a.NoColor}, &spec)
		streams.Out = info
		view.NewFleetPlan(view.Human, streams).Plan(view.FleetReport{Project: spec.Project.Name, Target: c.describeFleet(t), Result: res})
		for _, g := range res.Groups {
			if g.Plan == nil {
				continue
			}
			for _, name := range g.Databases {
				planned[name] = g.Plan
			}
		}
		counts := res.Count()
		if counts[fleet.StatusChanges]+counts[fleet.StatusCreate] == 0 && j == nil {
			fmt.Fprintf(info, "\nNo changes to apply in environment %s.\n", t.Environment)
			// Like plan: a database blocked, unreachable or missing is
			// behind the spec, and nothing here brings it there.
			if counts[fleet.StatusBlocked]+counts[fleet.StatusUnreachable]+counts[fleet.StatusMissing] > 0 {
				return exitError
			}
			return exitOK
		}
	}
	if !a.AutoApprove {
		if a.Format == view.JSON || a.Fleet.Markdown {
			return fail(errors.New("apply -json or -markdown cannot ask for approval: pass -auto-approve"))
		}
		if !c.stdinTTY {
			return fail(errors.New("apply needs approval, but stdin is not a terminal so dmplan cannot ask: review the plan above and pass -auto-approve"))
		}
		waves := "one wave"
		if canary > 0 || canaryPct > 0 {
			waves = "a canary wave (" + a.Fleet.Canary + ") first"
		}
		fmt.Fprintf(c.stdout, "\nRoll out to %d databases of environment %s (%d still to do), %s, %d at a time?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
			len(dbs), t.Environment, len(todo), waves, a.Fleet.Concurrency)
		if !c.answeredYes(ctx) {
			fmt.Fprintln(c.stdout, "\nApply cancelled.")
			return exitError
		}
	}

	if j == nil {
		if j, err = fleet.CreateJournal(dir, fleet.JournalHeader{Rollout: id, Environment: t.Environment,
			SpecDigest: digest, Started: time.Now().UTC(), Actor: c.getenv("DMPLAN_ACTOR")}); err != nil {
			return fail(err)
		}
		defer j.Close()
	}
	stop := make(chan struct{})
	var once sync.Once
	done := c.whileRollingOut(func() { once.Do(func() { close(stop) }) },
		func() string {
			return "rollout " + j.Header.Rollout + ": resume with dmplan apply -env " + t.Environment + " -resume " + j.Header.Rollout
		})
	var before int64
	if store != nil {
		before = store.Requests()
	}
	progress := c.rolloutProgress(len(dbs))
	rep, err := fleet.Rollout(context.WithoutCancel(ctx), src, dbs, fleet.RolloutOptions{
		ID: j.Header.Rollout, Environment: t.Environment, Spec: spec,
		Planned: func(db fleet.Database) *planner.Plan { return planned[db.Name] },
		Plan:    c.rolloutPlanFunc(spec, t),
		Fingerprints: func(db fleet.Database) (string, string) {
			fp := fingerprints[db.Name]
			return fp[0], fp[1]
		},
		Canary: canary, CanaryPercent: canaryPct, BatchSize: a.Fleet.Batch,
		Concurrency: a.Fleet.Concurrency, MaxFailures: a.Fleet.MaxFailures,
		Journal: j, Stop: stop, Progress: progress, LockTimeout: a.LockTimeout, Logger: c.logger(),
		Lean: applier.LeanOptions{ToolVersion: "dmplan " + toolVersion(), Actor: c.getenv("DMPLAN_ACTOR")},
		Apply: applier.Options{ToolVersion: "dmplan " + toolVersion(), Actor: c.getenv("DMPLAN_ACTOR"), Logger: c.logger(),
			Redact: func(err error) string { return redact(err, t).Error() }},
		ApplyFor: func(ctx context.Context, be backend.Backend, db fleet.Database, p *planner.Plan, opts *applier.Options) (func(), error) {
			return c.fleetStepRunners(ctx, spec.Tenant(db.Name), t, be, p, opts)
		},
	})
	done()
	if rep == nil {
		return fail(redact(err, t))
	}
	if store != nil {
		rep.Requests = store.Requests() - before
	}
	for i := range rep.Results {
		rep.Results[i].Reason = redactText(rep.Results[i].Reason, t)
	}
	switch {
	case a.Format == view.JSON:
		if err := view.RolloutJSON(c.stdout, rep); err != nil {
			return fail(err)
		}
	case a.Fleet.Markdown:
		view.RolloutMarkdown(c.stdout, rep)
	default:
		fmt.Fprintln(c.stdout)
		view.RolloutHuman(c.stdout, rep)
	}
	if err != nil || !rep.Complete() {
		return exitError
	}
	if n := rep.Counts(); n[fleet.OutcomeBlocked]+n[fleet.OutcomeMissing] > 0 {
		return exitError
	}
	return exitOK
}

// specDigest identifies the *.dm.hcl files a rollout applies: a journal of
// other files is not continued.
func specDigest(spec *hclspec.Spec) string {
	names := make([]string, 0, len(spec.Sources))
	for n := range spec.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(spec.Sources[n]))
		h.Write(spec.Sources[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// rolloutProgress reports a rollout's progress on stderr: a line rewritten
// in place on a terminal, else a line per tenth of the fleet (a CI log).
func (c *cli) rolloutProgress(total int) func(fleet.RolloutResult) {
	var mu sync.Mutex
	counts := map[fleet.Outcome]int{}
	n := 0
	tty := isTerminal(c.stderr)
	step := max(total/10, 1)
	return func(r fleet.RolloutResult) {
		mu.Lock()
		defer mu.Unlock()
		n++
		counts[r.Status]++
		line := fmt.Sprintf("rollout: %d/%d databases (%d done, %d current, %d blocked, %d failed)", n, total,
			counts[fleet.OutcomeDone], counts[fleet.OutcomeCurrent], counts[fleet.OutcomeBlocked], counts[fleet.OutcomeFailed])
		switch {
		case tty:
			end := ""
			if n == total {
				end = "\n"
			}
			fmt.Fprintf(c.stderr, "\r\x1b[K%s%s", line, end)
		case n%step == 0 || n == total:
			fmt.Fprintln(c.stderr, line)
		}
	}
}

// fleetStepRunners gives a database's apply what its backfill and seed
// steps need, over the tenant's view of the spec.
func (c *cli) fleetStepRunners(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, be backend.Backend, p *planner.Plan, opts *applier.Options) (func(), error) {
	counts := p.Counts()
	var done func()
	if counts[planner.Seed] > 0 {
		seeds, sdone, err := c.seeder(ctx, spec, t, be, nil)
		if err != nil {
			return nil, err
		}
		opts.Seeder, done = seeds, sdone
	}
	if counts[planner.Backfill] > 0 {
		ds, err := c.openMaintenance(ctx, spec, be, t.Environment)
		if err != nil {
			return done, fmt.Errorf("backfill: %w", err)
		}
		opts.Backfiller = operator.Backfiller(ds)
	}
	return done, nil
}

// rolloutPlanFunc is how the rollout re-plans a database it inspects (one
// the fleet plan could not plan, one whose plan is not a single batch, or
// one whose batch failed): nil, fleet.TenantPlan from the rollout's own
// inspection, for a spec without seeds; with seeds, the plan dmplan plan
// makes (c.fleetPlanFunc: it checks the seeds of existing tables, at two
// more requests for such a database), or the rollout would find a
// database whose only change is a new seed current and never seed it.
func (c *cli) rolloutPlanFunc(spec *hclspec.Spec, t *hclspec.Target) fleet.RolloutPlanFunc {
	if len(spec.Seeds) == 0 {
		return nil
	}
	plan := c.fleetPlanFunc(t)
	return func(ctx context.Context, be backend.Backend, db fleet.Database, _ *operator.Inspection) (*planner.Plan, error) {
		return plan(ctx, be, spec.Tenant(db.Name), db)
	}
}
