package applier

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// GatewayDeployer uploads an environment's gateway Worker (dmplan's
// Cloudflare glue implements it). The applier does not talk to the Workers
// API itself.
type GatewayDeployer interface {
	// DeployGateway makes the live Worker what the step says: uploads the
	// script with its bindings (reading its secrets from the environment)
	// and serves it on workers.dev or its route. namespaces are the
	// target's KV namespaces as they are now, those this apply created
	// included, so the bindings get their ids. Its errors never hold a
	// secret.
	DeployGateway(ctx context.Context, step planner.Step, namespaces []state.Namespace) error
}

// gateway runs the plan's worker steps, after the namespaces and tables
// they bind exist.
func (a *run) gateway(ctx context.Context) error {
	for i, s := range a.p.Steps {
		if !s.Action.IsWorker() {
			continue
		}
		if err := a.before(i, s); err != nil {
			return err
		}
		var nss []state.Namespace
		if a.live != nil {
			for _, n := range a.live.Namespaces {
				if n != nil {
					nss = append(nss, *n)
				}
			}
		}
		nss = append(nss, a.report.NamespacesCreated...)
		if err := a.opts.Gateway.DeployGateway(ctx, s, nss); err != nil {
			return &StepError{Index: i, Step: s, Err: fmt.Errorf("deploy worker %s: %w", s.Target, err)}
		}
		a.report.applied(i, s, 0)
		a.progress(i, s, nil)
	}
	return nil
}
