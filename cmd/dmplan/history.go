package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var historyCommand = command{
	name:     "history",
	synopsis: "history [flags] [DIR]",
	short:    "List the applies recorded in the target",
	summary: "List the applies recorded in the environment's database, newest first: plan id,\n" +
		"outcome, steps, duration and the schema fingerprints before and after.",
	maxArgs: 1,
}

type historyArgs struct {
	Dir     string
	Env     string
	Limit   int
	Format  view.Type
	NoColor bool
}

func parseHistory(args []string, c *cli) (historyArgs, error) {
	a := historyArgs{Limit: 20}
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment whose history to list"))
	fs.IntVar(&a.Limit, "limit", a.Limit, "show at most `N` applies (0: all)")
	fs.Var(jsonFlag{&a.Format}, "json", "print the history as JSON")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := historyCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	if err == nil && a.Limit < 0 {
		err = fmt.Errorf("-limit must be 0 or more, got %d", a.Limit)
	}
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) history(ctx context.Context, args []string) int {
	va := scanViewArgs(args)
	if va.Format == view.Markdown {
		va.Format = view.Human
	}
	var spec *hclspec.Spec
	v := view.NewHistory(va.Format, c.streams(va, &spec))
	a, err := parseHistory(args, c)
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
	entries, err := c.readHistory(ctx, t, a.Limit)
	if err != nil {
		v.Error(err)
		return exitError
	}
	v.History(c.describe(t), entries)
	return exitOK
}
