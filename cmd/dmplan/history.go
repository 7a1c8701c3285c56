package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/applier"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var historyCommand = command{
	name:     "history",
	synopsis: "history [flags] [DIR]  |  history show [flags] ID [DIR]",
	short:    "List the applies recorded in the target, or show one",
	summary: "List the applies recorded in the environment's database, newest first: id, plan\n" +
		"id, outcome, steps, duration and the schema fingerprints before and after;\n" +
		"-json carries every stored field. history show ID prints one apply in full:\n" +
		"who, when, how long, how it ended, its bookmark, counts and every step with\n" +
		"its SQL. ID is the history id the list shows, or a plan id (or its start).",
	maxArgs: 1,
}

var historyShowCommand = command{
	name:     "history show",
	synopsis: "history show [flags] ID [DIR]",
	short:    "Show one recorded apply in full",
	summary:  historyCommand.summary,
	maxArgs:  2,
}

type historyArgs struct {
	Dir     string
	Env     string
	Limit   int
	Format  view.Type
	NoColor bool
	// Show is the ID of history show; empty lists.
	Show string
}

func parseHistory(args []string, c *cli) (historyArgs, error) {
	a := historyArgs{Limit: 20}
	cmd := historyCommand
	show := len(args) > 0 && args[0] == "show"
	if show {
		cmd, args = historyShowCommand, args[1:]
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment whose history to read"))
	if !show {
		fs.IntVar(&a.Limit, "limit", a.Limit, "show at most `N` applies (0: all)")
	}
	fs.Var(jsonFlag{&a.Format}, "json", "print the history as JSON")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := cmd.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	if err != nil {
		return a, err
	}
	if a.Limit < 0 {
		return a, fmt.Errorf("-limit must be 0 or more, got %d", a.Limit)
	}
	if show {
		if len(rest) == 0 {
			return a, errors.New("history show needs the ID of an apply: the ID column of dmplan history, or a plan id")
		}
		a.Show, rest = rest[0], rest[1:]
	}
	a.Dir = dirArg(rest)
	return a, nil
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
	if a.Show != "" {
		return c.historyShow(ctx, t, a, v)
	}
	entries, err := c.readHistory(ctx, t, a.Limit)
	if err != nil {
		v.Error(err)
		return exitError
	}
	v.History(c.describe(t), entries)
	return exitOK
}

// historyShow prints the apply a.Show names: by history id, or by plan id
// or a prefix of one naming a single plan (its newest row, listing the
// others).
func (c *cli) historyShow(ctx context.Context, t *hclspec.Target, a historyArgs, v view.History) int {
	be, err := c.openBackend(ctx, t, true)
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	defer be.Close()
	recs, err := applier.FindHistory(ctx, be.D1(), a.Show)
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	if len(recs) == 0 {
		v.Error(fmt.Errorf("no apply %q in the history of environment %s: give the ID column of dmplan history, or a plan id", a.Show, t.Environment))
		return exitError
	}
	plans := map[string]bool{}
	var names []string
	for _, r := range recs {
		if !plans[r.PlanID] {
			plans[r.PlanID] = true
			names = append(names, r.PlanID)
		}
	}
	if len(plans) > 1 {
		v.Error(fmt.Errorf("%q starts %d plan ids (%s): give more of it, or the history id", a.Show, len(plans), strings.Join(names, ", ")))
		return exitError
	}
	entries, err := c.historyEntries(ctx, be, recs[:1])
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	var also []int64
	for _, r := range recs[1:] {
		also = append(also, r.ID)
	}
	v.Show(c.describe(t), entries[0], also)
	return exitOK
}
