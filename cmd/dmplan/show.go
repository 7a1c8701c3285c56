package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/dmplan/dmplan/internal/view"
)

var showCommand = command{
	name:     "show",
	synopsis: "show [flags] PLANFILE",
	short:    "Show a saved plan",
	summary: "Show a plan saved with dmplan plan -out, as it was made. Touches no database.\n" +
		"The plan is derived again from the sources and live schema the file carries,\n" +
		"and refused if a step differs from what they give (an edited file).\n" +
		"Exit codes as for plan: 1 when it has blocked changes, otherwise 0.",
	maxArgs: 1,
}

type showArgs struct {
	Path    string
	Format  view.Type
	NoColor bool
}

func parseShow(args []string, c *cli) (showArgs, error) {
	var a showArgs
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.Var(formatFlag{&a.Format}, "format", "output `format`: human, json or markdown")
	fs.Var(jsonFlag{&a.Format}, "json", "same as -format json")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := showCommand.parse(fs, args, c.stdout)
	if err == nil && len(rest) == 0 {
		err = errors.New("dmplan show needs the plan file to show (see dmplan show -h)")
	}
	if len(rest) > 0 {
		a.Path = rest[0]
	}
	return a, err
}

func (c *cli) show(_ context.Context, args []string) int {
	va := scanViewArgs(args)
	v := view.NewPlan(va.Format, c.streams(va, nil))
	a, err := parseShow(args, c)
	var pf *planFile
	if md, ok := v.(*view.PlanMarkdown); ok {
		md.Scope = func() (string, string) {
			if pf == nil {
				return "", ""
			}
			return pf.Project, pf.Environment
		}
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	pf, err = readPlanFile(a.Path)
	if err != nil {
		v.Error(err)
		return exitError
	}
	p, err := verifyShown(pf)
	if err != nil {
		v.Error(fmt.Errorf("%s: %w", a.Path, err))
		return exitError
	}
	v.Plan(view.PlanReport{Project: pf.Project, Target: pf.Target, Plan: p})
	return planExitCode(p, false)
}
