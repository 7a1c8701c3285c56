package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

var planCommand = command{
	name:     "plan",
	synopsis: "plan [flags] [DIR]",
	short:    "Show the changes that would bring the live schema in line",
	summary: "Compare the *.dm.hcl files in DIR (default \".\") with the live schema of the\n" +
		"environment and show the additive steps that would bring it in line. Changes\n" +
		"that cannot be made safely are shown as blocked, with what to do by hand.\n\n" +
		"Exit codes: 0 success, 1 error or blocked changes, 2 changes present\n" +
		"(with -detailed-exitcode).\n\n" +
		"Over a fleet (an environment with a databases block) it plans every database,\n" +
		"-parallel at a time, and shows one plan per group of databases with the same\n" +
		"plan. Exit 1 when a database is blocked, unreachable or missing; with\n" +
		"-detailed-exitcode, 2 when one has changes or is to be created.",
	maxArgs: 1,
}

type planArgs struct {
	Dir              string
	Env              string
	Targets          []string
	Out              string
	Format           view.Type
	DetailedExitcode bool
	NoColor          bool
	// Parallel bounds the databases of a fleet inspected at once.
	Parallel int
}

func parsePlan(args []string, c *cli) (planArgs, error) {
	a := planArgs{}
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment to plan for"))
	fs.StringVar(&a.Out, "out", "", "save the plan to `FILE` for dmplan apply")
	fs.Var(formatFlag{&a.Format}, "format", "output `format`: human, json or markdown")
	fs.Var(jsonFlag{&a.Format}, "json", "same as -format json")
	fs.BoolVar(&a.DetailedExitcode, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	fs.Var((*targetsFlag)(&a.Targets), "target", targetUsage)
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	fs.IntVar(&a.Parallel, "parallel", fleet.DefaultParallel, "a fleet's databases inspected at once (`N`)")
	rest, err := planCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) plan(ctx context.Context, args []string) int {
	va := scanViewArgs(args)
	var spec *hclspec.Spec
	v := view.NewPlan(va.Format, c.streams(va, &spec))
	a, err := parsePlan(args, c)
	if md, ok := v.(*view.PlanMarkdown); ok {
		md.Scope = func() (string, string) { return projectName(spec), a.Env }
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	prepareHeap(a.Dir)
	pre := startPrefetch(ctx, a.Dir, a.Env)
	defer pre.close()
	t, ok := c.loadTarget(a.Dir, a.Env, &spec, v)
	if !ok {
		return exitError
	}
	if err := c.setTargets(spec, a.Targets); err != nil {
		v.Error(err)
		return exitError
	}
	if t.Fleet != nil {
		return c.planFleet(ctx, spec, t, a, va, v)
	}
	base := absDir(a.Dir)
	d, sdiags, err := c.planTarget(ctx, spec, t, false, pre)
	v.Diagnostics(sdiags)
	if err != nil {
		v.Error(err)
		return exitError
	}
	p := d.plan
	desc := c.describe(t)
	if a.Out != "" {
		pf := newPlanFile(spec, base, t, desc, d)
		if err := writePlanFile(a.Out, pf); err != nil {
			v.Error(err)
			return exitError
		}
	}
	v.Plan(view.PlanReport{Project: spec.Project.Name, Target: desc, Plan: p, SavedTo: a.Out})
	return planExitCode(p, a.DetailedExitcode)
}

// projectName is the project's name, or "" before the configuration was
// read (a flag error).
func projectName(spec *hclspec.Spec) string {
	if spec == nil {
		return ""
	}
	return spec.Project.Name
}

// planExitCode is 1 when anything is blocked, 2 for changes with
// -detailed-exitcode, else 0.
func planExitCode(p *planner.Plan, detailed bool) int {
	switch {
	case len(p.Blocked()) > 0:
		return exitError
	case detailed && p.HasChanges():
		return exitChanges
	default:
		return exitOK
	}
}

// planTarget inspects the target, asks it what the seeds would write, and
// diffs the spec against it. Seeds that cannot be evaluated come back as
// diagnostics with errors and no plan. requireEnv (apply) makes an unset
// env var of a seed such an error; without it (plan) the seed is planned
// with an unknown status. pre, when not nil, may hold t already opened and
// inspected.
func (c *cli) planTarget(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, requireEnv bool, pre *prefetch) (*derivation, hcl.Diagnostics, error) {
	be, in := pre.take(t)
	if be == nil {
		var err error
		be, err = c.openBackend(ctx, t, true)
		if err != nil {
			return nil, nil, redact(err, t)
		}
	}
	defer be.Close()
	return c.derivePlan(ctx, be, spec, t, requireEnv, in)
}

// inspected is what plan reads of a target's D1 database besides the
// seeds: the live schema and the unfinished backfills, read together in
// two D1 requests (operator.Inspect).
type inspected struct {
	live    *state.Schema
	pending []planner.PendingBackfill
	// seeds are the records apply remembered for the seeds; nil when not
	// read (the seeds whose identity reads an unset variable are then
	// unknown).
	seeds map[string]operator.SeedMemo
	// unfinished is the newest apply when it did not finish.
	unfinished *applier.LastApply
	// ledgers are other tools' migrations tables (operator.Ledgers).
	ledgers []planner.Ledger
}

// inspect reads the target for a plan.
func inspect(ctx context.Context, be backend.Backend) (*inspected, error) {
	last := applier.LastApplyProbe()
	extra := wranglerLedgers(be)
	ledgers := operator.LedgerProbes(extra...)
	in, err := operator.Inspect(ctx, be.D1(), be.KV(), append(ledgers, last)...)
	if err != nil {
		return nil, err
	}
	seeds := in.Seeds
	if seeds == nil {
		seeds = map[string]operator.SeedMemo{}
	}
	return &inspected{live: in.Live, pending: in.Pending, seeds: seeds, unfinished: applier.UnfinishedApply(last), ledgers: operator.Ledgers(ledgers, extra...)}, nil
}

// unfinishedNote tells a plan's reader that the last apply did not
// finish: the plan shows what it left.
func unfinishedNote(l *applier.LastApply) planner.Note {
	what := "was interrupted before its end"
	if l.Outcome == state.OutcomeRunning {
		what = "is recorded as running: it is still applying, or it was killed (the next apply then marks it interrupted; dmplan history tells which)"
	}
	return planner.Note{Target: "history", Message: fmt.Sprintf("the last apply (history %d, plan %s by %s, started %s) %s; this plan holds what it left undone",
		l.ID, l.PlanID, l.Actor, l.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), what)}
}

// derivation is a plan and what it was derived from besides the spec, so
// a saved plan can be derived again (see checkSavedPlan, verifyShown).
type derivation struct {
	plan    *planner.Plan
	live    *state.Schema
	pending []planner.PendingBackfill
	// gateway is what the account held for the environment's gateway.
	gateway *planner.GatewayLive
	// stored says which models' namespaces hold objects (RefillPeeks).
	stored map[string]bool
	// seeds are the records apply remembered for the seeds, and
	// unremembered those it lacks for records that exist (known only
	// when every seed variable is set).
	seeds, unremembered map[string]operator.SeedMemo
	// ledgers are other tools' migrations tables found (export reads
	// wrangler's).
	ledgers []planner.Ledger
}

// derivePlan is planTarget on an open backend; it inspects the backend
// unless given what was inspected.
func (c *cli) derivePlan(ctx context.Context, be backend.Backend, spec *hclspec.Spec, t *hclspec.Target, requireEnv bool, in *inspected) (*derivation, hcl.Diagnostics, error) {
	if in == nil {
		var err error
		if in, err = inspect(ctx, be); err != nil {
			return nil, nil, redact(fmt.Errorf("inspect environment %s: %w", t.Environment, err), t)
		}
	}
	live, pending := in.live, in.pending
	status, unremembered, diags, err := c.seedStatus(ctx, spec, t, be, live, in.seeds, requireEnv)
	if err != nil {
		return nil, diags, redact(err, t)
	}
	if diags.HasErrors() {
		if requireEnv {
			return nil, diags, errors.New("the seeds cannot run (see above), so nothing was applied")
		}
		return nil, diags, errors.New("the seeds cannot be checked against the target (see above), so nothing was planned")
	}
	dups, err := applier.UniqueViolations(ctx, be.D1(), planner.UniqueIndexProbes(spec, t.Environment, live))
	if err != nil {
		return nil, diags, redact(err, t)
	}
	checkFails, err := applier.CheckViolations(ctx, be.D1(), planner.CheckProbes(spec, t.Environment, live))
	if err != nil {
		return nil, diags, redact(err, t)
	}
	gw, err := readGateway(ctx, be, t)
	if err != nil {
		return nil, diags, redact(err, t)
	}
	stored, err := operator.StoredObjects(ctx, be.KV(), live, planner.RefillPeeks(spec, t.Environment, live))
	if err != nil {
		return nil, diags, redact(err, t)
	}
	tier, err := c.d1Tier()
	if err != nil {
		return nil, diags, err
	}
	p := planner.Diff(spec, t.Environment, live, planner.WithSeedStatus(status), planner.WithPendingBackfills(pending),
		planner.WithUniqueViolations(dups), planner.WithCheckViolations(checkFails), planner.WithGateway(gw), planner.WithStoredObjects(stored),
		planner.WithTargets(c.targets), planner.WithLedgers(in.ledgers), planner.WithFillKV(), tier)
	if in.unfinished != nil {
		p.Notes = append(p.Notes, unfinishedNote(in.unfinished))
	}
	diags = append(diags, wranglerWarnings(spec, p, be)...)
	if n := c.pendingMigrationsNote(be, in.ledgers); n != nil {
		p.Notes = append(p.Notes, *n)
	}
	return &derivation{plan: p, live: live, pending: pending, gateway: gw, stored: stored, seeds: in.seeds, unremembered: unremembered, ledgers: in.ledgers}, diags, nil
}

func newPlanFile(spec *hclspec.Spec, base string, t *hclspec.Target, desc view.Target, d *derivation) *planFile {
	srcs := make(map[string]string, len(spec.Sources))
	for name, b := range spec.Sources {
		srcs[name] = string(b)
	}
	return &planFile{
		ToolVersion: toolVersion(),
		CreatedAt:   time.Now().UTC(),
		Dir:         base,
		Project:     spec.Project.Name,
		SpecHash:    spec.Hash(),
		Sources:     srcs,
		Environment: desc.Environment,
		Target:      desc,
		TargetKey:   targetKey(t),
		Plan:        d.plan,
		Live:        d.live,
		Pending:     d.pending,
		Gateway:     d.gateway,
		Stored:      d.stored,
	}
}

// d1Tier is the planner option for the account's D1 plan: DMPLAN_D1_PLAN=paid
// (any case) drops the Free plan's daily quota note; free or unset plans
// for the Free plan's quota. Any other value is refused, so a typo never
// silently keeps (or drops) the note.
func (c *cli) d1Tier() (planner.Option, error) {
	switch v := strings.ToLower(strings.TrimSpace(c.getenv("DMPLAN_D1_PLAN"))); v {
	case "", "free":
		return planner.WithPaidD1(false), nil
	case "paid":
		return planner.WithPaidD1(true), nil
	default:
		return nil, fmt.Errorf("DMPLAN_D1_PLAN=%q: want free or paid (the account's Workers plan, for the D1 quota note)", v)
	}
}
