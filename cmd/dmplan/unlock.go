package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

var forceUnlockCommand = command{
	name:     "force-unlock",
	synopsis: "force-unlock [flags] ID [DIR]",
	short:    "Remove a lock lease whose holder is gone",
	summary: "Remove the apply lock held in the environment's database, by the id that the\n" +
		"blocked apply printed. Use it only when the holder is known to be gone: an\n" +
		"apply that is still running would carry on without the lock. A crashed\n" +
		"holder's lease also expires by itself.\n\n" +
		"It shows who holds the lock and asks for 'yes' on a terminal; -force removes\n" +
		"it without asking (the only way without a terminal).",
	maxArgs: 2,
}

type forceUnlockArgs struct {
	ID    string
	Dir   string
	Env   string
	Force bool
}

func parseForceUnlock(args []string, c *cli) (forceUnlockArgs, error) {
	a := forceUnlockArgs{}
	fs := flag.NewFlagSet("force-unlock", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment whose lock to remove"))
	fs.BoolVar(&a.Force, "force", false, "remove the lock without asking for confirmation")
	rest, err := forceUnlockCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	if err != nil {
		return a, err
	}
	if len(rest) == 0 {
		forceUnlockCommand.usage(fs, c.stderr)
		return a, errors.New("force-unlock needs the lock ID: the apply that found the lock held printed it (\"held by ... lock id ID\")")
	}
	a.ID = rest[0]
	a.Dir = dirArg(rest[1:])
	return a, nil
}

func (c *cli) forceUnlock(ctx context.Context, args []string) int {
	a, err := parseForceUnlock(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "\nError: %v\n", err)
		return exitError
	}
	var spec *hclspec.Spec
	t, ok := c.loadTarget(a.Dir, a.Env, &spec, textDiags{c, &spec})
	if !ok {
		return exitError
	}
	be, err := c.openBackend(ctx, t, false)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", redact(err, t))
		return exitError
	}
	defer be.Close()
	if !a.Force {
		ok, err := c.confirmUnlock(ctx, be, t, a.ID)
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", redact(err, t))
			return exitError
		}
		if !ok {
			fmt.Fprintf(c.stdout, "\nForce-unlock cancelled. The lock was kept.\n")
			return exitError
		}
	}
	info, err := applier.ForceUnlock(ctx, be.D1(), a.ID)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", redact(err, t))
		return exitError
	}
	fmt.Fprintf(c.stdout, "Lock %s removed (held by %s for %s since %s).\n",
		info.ID, info.Who, info.Operation, info.Since.UTC().Format(time.RFC3339))
	return exitOK
}

// confirmUnlock shows who holds the lock with the id and asks for "yes".
// When no lock has that id it asks nothing and returns true, leaving
// ForceUnlock to say what is held instead (and change nothing).
func (c *cli) confirmUnlock(ctx context.Context, be backend.Backend, t *hclspec.Target, id string) (bool, error) {
	holder, err := applier.LockHolder(ctx, be.D1())
	if err != nil {
		return false, err
	}
	if holder == nil || holder.ID != id {
		return true, nil
	}
	held := fmt.Sprintf("lock %s is held by %s for %s since %s", holder.ID, holder.Who, holder.Operation, holder.Since.UTC().Format(time.RFC3339))
	if !c.stdinTTY {
		return false, fmt.Errorf("force-unlock asks for confirmation, but stdin is not a terminal: %s; "+
			"if that holder is gone, run again with -force", held)
	}
	d := c.describe(t)
	fmt.Fprintf(c.stdout, "In environment %q (backend %s, database %s), %s.\n"+
		"Removing it lets another apply start while that holder, if it is still running,\n"+
		"carries on without the lock.\n\n"+
		"Do you really want to force-unlock?\n  Only 'yes' will be accepted.\n\n  Enter a value: ",
		d.Environment, d.Backend, d.Database, held)
	ok := c.answeredYes(ctx)
	return ok, nil
}

// textDiags reports configuration problems as plain text on stderr, for
// commands without a view of their own.
type textDiags struct {
	c    *cli
	spec **hclspec.Spec
}

func (d textDiags) Diagnostics(diags hcl.Diagnostics) {
	if len(diags) > 0 {
		_ = hclspec.WriteDiagnostics(d.c.stderr, *d.spec, diags, false)
	}
}

func (d textDiags) Error(err error) { fmt.Fprintf(d.c.stderr, "Error: %v\n", err) }
