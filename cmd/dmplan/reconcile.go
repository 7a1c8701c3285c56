package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
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
		"rows from KV; KV is never written. A row D1 refuses (it repeats a unique value)\n" +
		"is left for you to decide, and the report prints the command for each.\n" +
		"-prune-orphans deletes the orphan rows (checked against KV again first).\n" +
		"-take-d1 IDS (with one -model) makes those records' KV objects agree with\n" +
		"their D1 rows, the last writes D1 accepted: it removes an object D1 has no row\n" +
		"for and gives the others the row's values; it is the only option that writes KV.\n" +
		"-take-kv IDS (with one -model) makes those records' D1 rows agree with their KV\n" +
		"objects, whatever the rows hold. A stale row whose created_at differs from the\n" +
		"KV object's holds another create of the id; -fix leaves it, and the report\n" +
		"prints both commands: -take-d1 keeps D1's row, -take-kv keeps KV's object.\n\n" +
		"Exit codes: 0 nothing left to do, 2 something left to do (drift found without\n" +
		"a repair, or drift a repair did not clear: refused rows, bad KV objects, orphan\n" +
		"rows not pruned), 1 error.",
	maxArgs: 1,
}

type reconcileArgs struct {
	Dir     string
	Env     string
	Models  []string
	Fix     bool
	Prune   bool
	TakeD1  []string
	TakeKV  []string
	Format  view.Type
	NoColor bool
	// Database is the database of a fleet to reconcile.
	Database string
}

func parseReconcile(args []string, c *cli) (reconcileArgs, error) {
	a := reconcileArgs{}
	var models string
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment to reconcile"))
	fs.StringVar(&models, "model", "", "check only these models (comma-separated `NAMES`; default all)")
	fs.BoolVar(&a.Fix, "fix", false, "rewrite missing and stale D1 rows from KV")
	fs.BoolVar(&a.Prune, "prune-orphans", false, "delete the D1 rows that have no KV object")
	var take string
	fs.StringVar(&take, "take-d1", "", "make the KV objects of these record `IDS` (comma-separated; one -model) agree with their D1 rows")
	var takeKV string
	fs.StringVar(&takeKV, "take-kv", "", "make the D1 rows of these record `IDS` (comma-separated; one -model) agree with their KV objects")
	fs.Var(jsonFlag{&a.Format}, "json", "print the report as JSON")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	fs.StringVar(&a.Database, "database", "", "the database of a fleet to reconcile (`NAME`; its tenant's KV keys only)")
	rest, err := reconcileCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	for _, m := range strings.Split(models, ",") {
		if m = strings.TrimSpace(m); m != "" {
			a.Models = append(a.Models, m)
		}
	}
	for _, id := range strings.Split(take, ",") {
		if id = strings.TrimSpace(id); id != "" {
			a.TakeD1 = append(a.TakeD1, id)
		}
	}
	for _, id := range strings.Split(takeKV, ",") {
		if id = strings.TrimSpace(id); id != "" {
			a.TakeKV = append(a.TakeKV, id)
		}
	}
	a.Dir = dirArg(rest)
	for _, o := range []struct {
		flag, val string
		ids       []string
	}{{"-take-d1", take, a.TakeD1}, {"-take-kv", takeKV, a.TakeKV}} {
		if err != nil || o.val == "" {
			continue
		}
		switch {
		case len(a.Models) != 1:
			err = errors.New(o.flag + " needs exactly one -model")
		case len(o.ids) == 0:
			err = errors.New(o.flag + " needs record ids")
		case a.Fix || a.Prune || (take != "" && takeKV != ""):
			err = errors.New(o.flag + " runs alone: run -fix or -prune-orphans afterwards")
		}
	}
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
	readOnly := !a.Fix && !a.Prune && len(a.TakeD1) == 0 && len(a.TakeKV) == 0
	var be backend.Backend
	switch {
	case t.Fleet != nil && a.Database != "":
		be, spec, t, err = c.openFleetMember(ctx, spec, t, a.Database, absDir(a.Dir), readOnly)
	case a.Database != "":
		err = fmt.Errorf("-database %s: environment %s is not a fleet (it has no databases block)", a.Database, t.Environment)
	default:
		be, err = c.openBackend(ctx, t, readOnly)
		if errors.Is(err, errFleetTarget) {
			err = fmt.Errorf("%w; name the database to reconcile with -database NAME", err)
		}
	}
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
	if len(a.TakeD1) > 0 || len(a.TakeKV) > 0 {
		take, show, ids := operator.TakeD1, v.TakeD1, a.TakeD1
		if len(a.TakeKV) > 0 {
			take, show, ids = operator.TakeKV, v.TakeKV, a.TakeKV
		}
		res, err := take(ctx, ds, a.Models[0], ids)
		if err != nil {
			v.Error(redact(err, t))
			return exitError
		}
		show(c.describe(t), a.Models[0], res, reconcileLine(a, "-model", a.Models[0]))
		var unknown []string
		for _, r := range res {
			if r.Outcome == operator.TookNoRecord {
				unknown = append(unknown, r.ID)
			}
		}
		if len(unknown) > 0 {
			v.Error(fmt.Errorf("no record %s in model %s (neither KV nor D1 holds it)", strings.Join(unknown, ", "), a.Models[0]))
			return exitError
		}
		return exitOK
	}
	rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Models: a.Models, Fix: a.Fix, PruneOrphans: a.Prune, Progress: v.Progress})
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	v.Reconcile(c.describe(t), rep, reconcileNext(a, rep))
	if (!a.Fix && !a.Prune && rep.Drifted()) || rep.Unrepaired() > 0 {
		return exitChanges
	}
	return exitOK
}

// reconcileLine spells the reconcile command line for the same
// directory and environment with the flags.
func reconcileLine(a reconcileArgs, flags ...string) string {
	parts := []string{"dmplan", "reconcile"}
	if a.Env != defaultEnv {
		parts = append(parts, "-env", a.Env)
	}
	if a.Database != "" {
		parts = append(parts, "-database", a.Database)
	}
	parts = append(parts, flags...)
	if a.Dir != "" && a.Dir != "." {
		parts = append(parts, a.Dir)
	}
	for i, p := range parts {
		if strings.ContainsAny(p, " \t'\"$`\\") {
			parts[i] = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return strings.Join(parts, " ")
}

// reconcileNext is what is left to do after the report, with the exact
// command for each: the fix, the pruning of orphan rows, and for every
// row D1 refused the command that takes D1's side.
func reconcileNext(a reconcileArgs, rep *operator.ReconcileReport) []view.Next {
	var next []view.Next
	var models []string
	if len(a.Models) > 0 {
		models = []string{"-model", strings.Join(a.Models, ",")}
	}
	var repairable, orphans int64
	for _, m := range rep.Models {
		for _, d := range m.Drift {
			switch {
			case d.Fixed || d.Kind == operator.DriftBadObject:
			case d.Refused && d.Kind == operator.DriftMissingRow:
				// Taking D1's side of a record D1 has no row for
				// deletes it: say so.
				next = append(next, view.Next{
					Model: m.Model, ID: d.ID,
					What:    "D1 has no row for this record and refuses KV's (" + d.Problem + "): keep the record by changing that value in the other record, then run -fix again; or delete the record (its KV object) with",
					Command: reconcileLine(a, "-model", m.Model, "-take-d1", d.ID),
				})
			case d.OtherCreate:
				next = append(next,
					view.Next{
						Model: m.Model, ID: d.ID,
						What:    "KV and D1 hold two different creates of this id (created_at differs; -fix leaves it): keep D1's row, the create D1 accepted, with",
						Command: reconcileLine(a, "-model", m.Model, "-take-d1", d.ID),
					},
					view.Next{
						Model: m.Model, ID: d.ID,
						What:    "or keep KV's object (a create D1 never accepted; it replaces the row) with",
						Command: reconcileLine(a, "-model", m.Model, "-take-kv", d.ID),
					})
			case d.Refused:
				next = append(next, view.Next{
					Model: m.Model, ID: d.ID,
					What:    "KV and D1 hold different writes and D1 refuses KV's (" + d.Problem + "): keep KV's by changing that value in the other record, then run -fix again; or keep D1's (the last write D1 accepted) with",
					Command: reconcileLine(a, "-model", m.Model, "-take-d1", d.ID),
				})
			case d.Kind == operator.DriftOrphanRow:
				orphans++
			default:
				repairable++
			}
		}
		if m.Truncated {
			repairable++
		}
	}
	if repairable > 0 && !a.Fix {
		next = append([]view.Next{{What: "rewrite the missing and stale D1 rows from KV", Command: reconcileLine(a, append([]string{"-fix"}, models...)...)}}, next...)
	}
	if orphans > 0 {
		next = append(next, view.Next{What: "delete the D1 rows that have no KV object (a hard delete whose D1 step failed)", Command: reconcileLine(a, append([]string{"-prune-orphans"}, models...)...)})
	}
	return next
}

func modelNames(spec *hclspec.Spec) []string {
	out := make([]string, 0, len(spec.Models))
	for _, m := range spec.Models {
		out = append(out, m.Name)
	}
	return out
}
