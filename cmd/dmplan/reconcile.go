package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/operator"
)

var reconcileCommand = command{
	name:     "reconcile",
	synopsis: "reconcile [flags] [DIR]",
	short:    "Compare every KV object with its D1 row; -fix rewrites D1 from KV",
	summary: "Compare every KV object of the models with its D1 row and report missing rows,\n" +
		"rows whose synced values differ, D1 rows without a KV object (orphans) and KV\n" +
		"values that are not valid records. With -fix, rewrite the missing and stale D1\n" +
		"rows from KV. KV is never written and no row is ever deleted.\n\n" +
		"Exit codes: 0 in sync (or everything repairable fixed), 1 error, 2 drift found\n" +
		"(without -fix), or bad KV objects left after -fix.",
	maxArgs: 1,
}

type reconcileArgs struct {
	Dir     string
	Env     string
	Models  []string
	Fix     bool
	Format  view.Type
	NoColor bool
}

func parseReconcile(args []string, c *cli) (reconcileArgs, error) {
	a := reconcileArgs{Env: defaultEnv}
	var models string
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", a.Env, "the environment to reconcile")
	fs.StringVar(&models, "model", "", "check only these models (comma-separated `NAMES`; default all)")
	fs.BoolVar(&a.Fix, "fix", false, "rewrite missing and stale D1 rows from KV")
	fs.Var(jsonFlag{&a.Format}, "json", "print the report as JSON")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := reconcileCommand.parse(fs, args, c.stdout)
	for _, m := range strings.Split(models, ",") {
		if m = strings.TrimSpace(m); m != "" {
			a.Models = append(a.Models, m)
		}
	}
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) reconcile(ctx context.Context, args []string) int {
	va := scanViewArgs(args)
	if va.Format == view.Markdown {
		va.Format = view.Human
	}
	var spec *hclspec.Spec
	v := view.NewReconcile(va.Format, c.streams(va, &spec), isTerminal(c.stderr))
	a, err := parseReconcile(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	diags, err := loadDir(a.Dir, &spec)
	if err != nil {
		v.Diagnostics(diags)
		v.Error(err)
		return exitError
	}
	for _, m := range a.Models {
		if spec.Model(m) == nil {
			v.Error(fmt.Errorf("-model %s: no such model; the models are %s", m, strings.Join(modelNames(spec), ", ")))
			return exitError
		}
	}
	t, tdiags := c.resolveTarget(spec, a.Env, absDir(a.Dir))
	v.Diagnostics(append(diags, tdiags...))
	if err := checkDiags("environment "+a.Env, tdiags); err != nil {
		v.Error(err)
		return exitError
	}
	be, err := c.openBackend(ctx, t, !a.Fix)
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	defer be.Close()
	ds, err := c.openMaintenance(ctx, spec, be, t.Environment)
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Models: a.Models, Fix: a.Fix, Progress: v.Progress})
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	v.Reconcile(c.describe(t), rep)
	if (!a.Fix && rep.Drifted()) || (a.Fix && rep.Unrepaired() > 0) {
		return exitChanges
	}
	return exitOK
}

func modelNames(spec *hclspec.Spec) []string {
	out := make([]string, 0, len(spec.Models))
	for _, m := range spec.Models {
		out = append(out, m.Name)
	}
	return out
}
