package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/hclspec"
)

var forceUnlockCommand = command{
	name:     "force-unlock",
	synopsis: "force-unlock [flags] ID [DIR]",
	short:    "Remove a lock lease whose holder is gone",
	summary: "Remove the apply lock held in the environment's database, by the id that the\n" +
		"blocked apply printed. Use it only when the holder is known to be gone: an\n" +
		"apply that is still running would carry on without the lock. A crashed\n" +
		"holder's lease also expires by itself.",
	maxArgs: 2,
}

type forceUnlockArgs struct {
	ID  string
	Dir string
	Env string
}

func parseForceUnlock(args []string, c *cli) (forceUnlockArgs, error) {
	a := forceUnlockArgs{}
	fs := flag.NewFlagSet("force-unlock", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment whose lock to remove"))
	rest, err := forceUnlockCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	if err != nil {
		return a, err
	}
	if len(rest) == 0 {
		return a, errors.New("force-unlock needs the lock ID (the blocked apply prints it)")
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
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
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
	info, err := applier.ForceUnlock(ctx, be.D1(), a.ID)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", redact(err, t))
		return exitError
	}
	fmt.Fprintf(c.stdout, "Lock %s removed (held by %s for %s since %s).\n",
		info.ID, info.Who, info.Operation, info.Since.UTC().Format(time.RFC3339))
	return exitOK
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
