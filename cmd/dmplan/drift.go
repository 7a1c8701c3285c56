package main

import (
	"context"
	"errors"
	"flag"

	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var driftCommand = command{
	name:     "drift",
	synopsis: "drift [flags] [DIR]",
	short:    "List the databases that are behind the spec (for cron)",
	summary: "Plan every database of the environment (a fleet's, or its one database) and\n" +
		"list those that are not current: what each one's plan would do, or why it\n" +
		"could not be planned. Nothing is written.\n\n" +
		"Exit codes: 0 every database is current; 2 some have changes or are to be\n" +
		"created; 1 a database is blocked, unreachable or missing, or an error.",
	maxArgs: 1,
}

type driftArgs struct {
	Dir      string
	Env      string
	Format   view.Type
	NoColor  bool
	Parallel int
}

func parseDrift(args []string, c *cli) (driftArgs, error) {
	a := driftArgs{}
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment to check"))
	fs.Var(formatFlag{&a.Format}, "format", "output `format`: human or json")
	fs.Var(jsonFlag{&a.Format}, "json", "same as -format json")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	fs.IntVar(&a.Parallel, "parallel", fleet.DefaultParallel, "a fleet's databases inspected at once (`N`)")
	rest, err := driftCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) drift(ctx context.Context, args []string) int {
	va := scanViewArgs(args)
	var spec *hclspec.Spec
	v := view.NewDrift(va.Format, c.streams(va, &spec))
	a, err := parseDrift(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	t, ok := c.loadTarget(a.Dir, a.Env, &spec, v)
	if !ok {
		return exitError
	}
	var res *fleet.Result
	desc := c.describe
	if t.Fleet != nil {
		if a.Parallel < 1 {
			v.Error(errors.New("-parallel: inspect at least 1 database at a time"))
			return exitError
		}
		desc = c.describeFleet
		res, err = c.planFleetTarget(ctx, spec, t, absDir(a.Dir), a.Parallel)
		if err != nil {
			v.Error(err)
			return exitError
		}
	} else {
		d, _, perr := c.planTarget(ctx, spec, t, false, nil)
		name := c.describe(t).Database
		if perr != nil {
			res = fleet.ResultOf(t.Environment, fleet.Database{Name: name}, nil, perr)
		} else {
			res = fleet.ResultOf(t.Environment, fleet.Database{Name: name}, d.plan, nil)
		}
	}
	v.Drift(view.FleetReport{Project: spec.Project.Name, Target: desc(t), Result: res})
	return fleetExitCode(res, true)
}
