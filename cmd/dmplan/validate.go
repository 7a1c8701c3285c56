package main

import (
	"context"
	"errors"
	"flag"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var validateCommand = command{
	name:     "validate",
	synopsis: "validate [flags] [DIR]",
	short:    "Check the configuration and report every problem",
	summary: "Check the *.dm.hcl files in DIR (default \".\") and report every problem at once,\n" +
		"with file:line:col and the source line. Touches no database.",
	maxArgs: 1,
}

type validateArgs struct {
	Dir     string
	Format  view.Type
	NoColor bool
}

func parseValidate(args []string, c *cli) (validateArgs, error) {
	var a validateArgs
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.Var(jsonFlag{&a.Format}, "json", "print the result as JSON")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := validateCommand.parse(fs, args, c.stdout)
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) validate(_ context.Context, args []string) int {
	va := scanViewArgs(args)
	var spec *hclspec.Spec
	v := view.NewValidate(va.Format, c.streams(va, &spec))
	a, err := parseValidate(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	diags, err := loadDir(a.Dir, &spec)
	v.Diagnostics(diags)
	if err != nil {
		v.Error(err)
		return exitError
	}
	v.Valid(view.SpecCounts{
		Files: len(spec.Sources), Models: len(spec.Models),
		Seeds: len(spec.Seeds), Environments: len(spec.Environments),
	})
	return exitOK
}
