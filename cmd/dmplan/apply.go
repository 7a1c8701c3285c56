package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

var applyCommand = command{
	name:     "apply",
	synopsis: "apply [flags] [DIR | PLANFILE]",
	short:    "Apply a plan, fresh or saved",
	summary: "Apply a plan. With DIR (default \".\"), plan first, show the plan and ask for\n" +
		"approval (or take -auto-approve). With a PLANFILE from dmplan plan -out, apply\n" +
		"exactly that plan from any directory: the environment is resolved again and the\n" +
		"plan is refused if the live schema changed since it was made, if it was applied\n" +
		"already, or if its steps are not what its sources give (an edited file). Every\n" +
		"variable the seeds read must be set; apply checks before it changes anything.\n\n" +
		"A plan with blocked changes is never applied.",
	maxArgs: 1,
}

type applyArgs struct {
	Path        string // DIR or PLANFILE
	Env         string // "" means the default, or the saved plan's
	Targets     []string
	AutoApprove bool
	LockTimeout time.Duration
	Format      view.Type
	NoColor     bool
	Fleet       fleetFlags // an environment with a databases block
}

func parseApply(args []string, c *cli) (applyArgs, error) {
	var a applyArgs
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment to apply to")+"; a saved plan knows its own")
	fs.BoolVar(&a.AutoApprove, "auto-approve", false, "apply without asking for approval")
	fs.Var((*targetsFlag)(&a.Targets), "target", targetUsage+" (not with a PLANFILE: it carries its own)")
	fs.DurationVar(&a.LockTimeout, "lock-timeout", 0, "how long to wait while another apply holds the target's lock (e.g. 2m; 0 fails at once)")
	fs.Var(jsonFlag{&a.Format}, "json", "print the result as one JSON document (needs -auto-approve or a plan file)")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	addFleetFlags(fs, &a.Fleet)
	rest, err := applyCommand.parse(fs, args, c.stdout)
	a.Path = dirArg(rest)
	return a, err
}

func (c *cli) apply(ctx context.Context, args []string) int {
	va := scanViewArgs(args)
	if va.Format == view.Markdown {
		va.Format = view.Human
	}
	var spec *hclspec.Spec
	v := view.NewApply(va.Format, c.streams(va, &spec))
	a, err := parseApply(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	if c.isFleetApply(a) {
		return c.fleetApply(ctx, a)
	}
	var job *applyJob
	if isPlanFile(a.Path) {
		job, err = c.loadSavedPlan(ctx, a, &spec, v)
	} else {
		job, err = c.freshPlan(ctx, a, &spec, v)
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	job.lockTimeout = a.LockTimeout
	job.env = job.target.Environment
	if !job.saved {
		job.dir = a.Path
	}
	v.Plan(view.PlanReport{Project: job.spec.Project.Name, Target: job.desc, Plan: job.plan})
	if n := len(job.plan.Blocked()); n > 0 {
		v.Blocked(job.desc, job.plan, fmt.Errorf("the plan has %d blocked %s, so nothing was applied: resolve %s as the hints say, then plan again",
			n, pluralWord(n, "change", "changes"), pluralWord(n, "it", "them")))
		return exitError
	}
	if !job.plan.HasChanges() {
		c.writeSeedMemos(ctx, job)
		v.Applied(job.desc, job.plan, view.ApplyResult{PlanID: job.plan.ID, Outcome: view.OutcomeNoChanges,
			FingerprintBefore: job.plan.Fingerprint, FingerprintAfter: job.plan.Fingerprint})
		return exitOK
	}
	if !job.saved && !a.AutoApprove {
		ok, err := c.approve(ctx, a, job.desc, v)
		if err != nil {
			v.Error(err)
			return exitError
		}
		if !ok {
			v.Cancelled(job.desc, job.plan)
			return exitError
		}
	}
	res, err := c.execute(ctx, job, v)
	if err != nil {
		v.Error(err)
		return exitError
	}
	v.Applied(job.desc, job.plan, res)
	return exitOK
}

// applyJob is a plan ready to apply and where it goes.
type applyJob struct {
	spec   *hclspec.Spec
	target *hclspec.Target
	desc   view.Target
	plan   *planner.Plan
	saved  bool // from a plan file: approved when it was saved
	// lockTimeout is how long to wait for the target's lock.
	lockTimeout time.Duration
	// seeds are the records apply remembered for the seeds (nil: not
	// known, for a saved plan), unremembered the ones it lacks.
	seeds, unremembered map[string]operator.SeedMemo
	// env and dir are where the apply was run from: what force-unlock
	// needs to reach the same target (dir "" for a saved plan's own).
	env, dir string
}

// freshPlan plans DIR against the environment, without writing anything.
func (c *cli) freshPlan(ctx context.Context, a applyArgs, spec **hclspec.Spec, v view.Apply) (*applyJob, error) {
	env := a.Env
	if env == "" {
		env = c.envDefault()
	}
	diags, err := loadDir(a.Path, spec)
	if err != nil {
		v.Diagnostics(diags)
		return nil, err
	}
	t, tdiags := c.resolveTarget(*spec, env, absDir(a.Path))
	v.Diagnostics(append(diags, tdiags...))
	if err := checkEnvDiags(c.envName(env), tdiags); err != nil {
		return nil, err
	}
	if err := c.setTargets(*spec, a.Targets); err != nil {
		return nil, err
	}
	d, sdiags, err := c.planTarget(ctx, *spec, t, true, nil)
	v.Diagnostics(sdiags)
	if err != nil {
		return nil, err
	}
	return &applyJob{spec: *spec, target: t, desc: c.describe(t), plan: d.plan, seeds: d.seeds, unremembered: d.unremembered}, nil
}

// loadSavedPlan reads a plan file, re-loads the sources it carries and
// resolves its environment again (re-reading env.X). It refuses a plan
// whose sources were altered, whose environment now points elsewhere, that
// was applied already, whose seeds cannot run or whose steps its sources
// do not give (see checkSavedPlan), all before any action.
func (c *cli) loadSavedPlan(ctx context.Context, a applyArgs, spec **hclspec.Spec, v view.Apply) (*applyJob, error) {
	pf, err := readPlanFile(a.Path)
	if err != nil {
		return nil, err
	}
	if len(a.Targets) > 0 {
		return nil, fmt.Errorf("-target applies to planning: the saved plan %s carries its own targets (%s); plan again with the -target you want",
			a.Path, targetList(pf.Plan.Targets))
	}
	c.targets = pf.Plan.Targets
	if a.Env != "" && a.Env != pf.Environment {
		return nil, fmt.Errorf("the saved plan %s was made for environment %s, not %s", a.Path, pf.Environment, a.Env)
	}
	if e := c.getenv(envVar); a.Env == "" && e != "" && e != pf.Environment {
		return nil, fmt.Errorf("the saved plan %s was made for environment %s, not %s (from %s); unset %s or set it to %s",
			a.Path, pf.Environment, e, envVar, envVar, pf.Environment)
	}
	srcs := make(map[string][]byte, len(pf.Sources))
	for name, s := range pf.Sources {
		srcs[name] = []byte(s)
	}
	s, diags := hclspec.LoadSources(pf.Project, srcs)
	*spec = s
	diags = withLimits(s, diags)
	if err := checkDiags("the saved plan "+a.Path, diags); err != nil {
		v.Diagnostics(diags)
		return nil, err
	}
	if s.Hash() != pf.SpecHash {
		return nil, fmt.Errorf("the saved plan %s is damaged: its sources do not match their hash; plan again", a.Path)
	}
	t, tdiags := c.resolveTarget(s, pf.Environment, pf.Dir)
	v.Diagnostics(append(diags, tdiags...))
	if err := checkEnvDiags(pf.Environment, tdiags); err != nil {
		return nil, err
	}
	desc := c.describe(t)
	if targetKey(t) != pf.TargetKey {
		return nil, fmt.Errorf("the saved plan %s was made for %s, but environment %s now resolves to %s; plan again",
			a.Path, pf.Target.String(), pf.Environment, desc.String())
	}
	p, sdiags, err := c.checkSavedPlan(ctx, s, t, pf.Plan)
	v.Diagnostics(sdiags)
	if err != nil {
		// An edited file is refused as edited, not as stale: its edited
		// targets, say, give steps the target's data seems to block.
		if errors.Is(err, applier.ErrStalePlan) {
			if serr := pf.checkSteps(); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	if err := pf.checkSteps(); err != nil {
		return nil, err
	}
	return &applyJob{spec: s, target: t, desc: desc, plan: p, saved: true}, nil
}

// approve asks for "yes" on a terminal. Without one it refuses: a plan
// must not be applied unseen.
func (c *cli) approve(ctx context.Context, a applyArgs, t view.Target, v view.Apply) (bool, error) {
	if a.Format == view.JSON {
		return false, errors.New("apply -json cannot ask for approval: pass -auto-approve, or apply a saved plan")
	}
	if !c.stdinTTY {
		return false, errors.New("apply needs approval, but stdin is not a terminal so dmplan cannot ask: " +
			"review the plan above and pass -auto-approve, or save it with dmplan plan -out FILE and run dmplan apply FILE")
	}
	v.AskApproval(t)
	return c.answeredYes(ctx), nil
}

// answeredYes reads one line from stdin and reports whether it is "yes".
// End of input or an interrupt while waiting is a no.
func (c *cli) answeredYes(ctx context.Context) bool {
	answer := make(chan string, 1)
	go func() {
		line, err := c.readLine()
		if err != nil {
			line = "" // end of input: no approval
		}
		answer <- line
	}()
	select {
	case line := <-answer:
		return strings.TrimSpace(line) == "yes"
	case <-ctx.Done(): // interrupted while waiting
		return false
	}
}

// unlockLine is the force-unlock command line that frees lease id of
// the job's target.
func unlockLine(job *applyJob, id string) string {
	line := "dmplan force-unlock"
	if job.env != defaultEnv {
		line += " -env " + job.env
	}
	line += " " + id
	if job.dir != "" && job.dir != "." {
		line += " " + job.dir
	}
	return line
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeSeedMemos records, when an apply has nothing else to do, the seeds'
// records the target does not remember yet (a target seeded before dmplan
// remembered them, or a seed whose definition changed), so plans without
// the seeds' variables can find them. It writes nothing when the target
// remembers them all; a failure is logged, not fatal.
func (c *cli) writeSeedMemos(ctx context.Context, job *applyJob) {
	if len(job.unremembered) == 0 {
		return
	}
	be, err := c.openBackend(ctx, job.target, false)
	if err == nil {
		defer be.Close()
		err = operator.WriteSeedMemos(ctx, be.D1(), job.unremembered, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	if err != nil {
		c.logger().Warn("dmplan.remember_seeds", "error", redact(err, job.target).Error())
	}
}
