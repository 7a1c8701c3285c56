package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/runtime/webhook"
	"github.com/dmplan/dmplan/state"
)

// logger is where the runtime and the applier log: warnings and errors on
// stderr, or more with DMPLAN_LOG=debug|info. Plan output stays clean.
func (c *cli) logger() *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(c.getenv("DMPLAN_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	}
	return slog.New(&redactHandler{next: slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}), c: c})
}

// seeder opens the runtime on the backend and returns its seed runner,
// which plans seeds (Status) and runs them (applier.Seeder) through the
// same save path services use, HCL hooks included. done waits (at most
// webhookDrain) for webhooks the seeds triggered; call it before exiting.
// live, when not nil, was just inspected: its KV namespaces spare the
// runtime a listing.
func (c *cli) seeder(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, be backend.Backend, live *state.Schema) (seeds *operator.Seeds, done func(), err error) {
	log := c.logger()
	sender := webhook.NewSender(webhook.WithLogger(log))
	done = func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookDrain)
		defer cancel()
		_ = sender.Close(dctx) // undelivered webhooks are logged by the sender
	}
	opts := []runtime.Option{runtime.WithEnvironment(t.Environment), runtime.WithLogger(log),
		runtime.WithHookRunner(webhook.NewRunner(spec, sender, c.lookupEnv, log))}
	if live != nil {
		nss := make([]backend.Namespace, 0, len(live.Namespaces))
		for _, ns := range live.Namespaces {
			nss = append(nss, backend.Namespace{ID: ns.ID, Title: ns.Title})
		}
		opts = append(opts, runtime.WithNamespaces(nss))
	}
	ds, err := runtime.Open(ctx, spec, be, opts...)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("open runtime: %w", err)
	}
	return operator.NewSeeds(ds, c.lookupEnv), done, nil
}

// webhookDrain bounds how long apply waits for webhooks seeds triggered.
const webhookDrain = 10 * time.Second

// seedStatus asks the target what each seed would write now, for
// planner.WithSeedStatus. Seeds that cannot be evaluated (a bad value, or
// an unset variable when requireEnv) come back as diagnostics. Without
// requireEnv (plan), a seed whose env vars are not set is evaluated as far
// as it can be without them (operator.Seeds.PlanStatus): its status is
// unknown only when it depends on them, and names them, so plan needs no
// secret while apply, which requires them, fails before any action.
//
// memos are the records apply remembered for the seeds (see
// operator.Seeds.Remember); with requireEnv, unremembered are the memos
// the target lacks for records that exist.
func (c *cli) seedStatus(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, be backend.Backend, live *state.Schema, memos map[string]operator.SeedMemo, requireEnv bool) (st map[string]planner.SeedStatus, unremembered map[string]operator.SeedMemo, diags hcl.Diagnostics, err error) {
	if len(spec.Seeds) == 0 {
		return nil, nil, nil, nil
	}
	seeds, done, err := c.seeder(ctx, spec, t, be, live)
	if err != nil {
		return nil, nil, nil, err
	}
	defer done()
	if requireEnv {
		st, err = seeds.Status(ctx, live)
	} else {
		st, err = seeds.PlanStatus(ctx, live, memos)
	}
	var se *operator.SeedError
	if errors.As(err, &se) {
		return nil, nil, se.Diagnostics, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("check seeds: %w", err)
	}
	if requireEnv && memos != nil {
		unremembered = seeds.Unremembered(memos)
	}
	return st, unremembered, nil, nil
}

// rememberSeeds records, after an apply, the records the seeds identify,
// for plans made without the seeds' variables (operator.Seeds.Remember).
// A failure is logged, not fatal: the apply itself succeeded, and such a
// plan then shows the seed as unknown.
func (c *cli) rememberSeeds(ctx context.Context, seeds *operator.Seeds, known map[string]operator.SeedMemo) {
	if err := seeds.Remember(ctx, known); err != nil {
		c.logger().Warn("dmplan.remember_seeds", "error", err.Error())
	}
}
