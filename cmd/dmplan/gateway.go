package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	gateway "github.com/dmplan/dmplan/backend/gateway/worker"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// The gateway Worker in plan and apply: readGateway reads what the account
// holds for the environment's gateway block (one request for the script's
// settings, one for its workers.dev switch or its zone's routes), and
// gatewayDeployer uploads it during apply. The secrets are read from the
// environment only there, at upload time; they are never put in a Target,
// a plan, a plan file, history or a log line, and an error that might
// quote one is scrubbed.

// workersStore is the part of the Cloudflare backend the gateway needs.
type workersStore interface {
	WorkerScript(ctx context.Context, name string) (*cloudflare.WorkerScript, error)
	WorkersDevEnabled(ctx context.Context, name string) (bool, error)
	UploadWorker(ctx context.Context, name string, up cloudflare.WorkerUpload) error
	EnableWorkersDev(ctx context.Context, name string) error
	WorkerRoutes(ctx context.Context, zoneID string) ([]cloudflare.WorkerRoute, error)
	RouteWorker(ctx context.Context, zoneID, pattern, script string, routes []cloudflare.WorkerRoute) error
	WorkersSubdomain(ctx context.Context) (string, error)
	DatabaseID() string
	DatabaseName() string
}

var _ workersStore = (*cloudflare.Store)(nil)

func asWorkersStore(be backend.Backend, t *hclspec.Target) (workersStore, error) {
	ws, ok := be.(workersStore)
	if !ok {
		return nil, fmt.Errorf("environment %s declares a gateway, but its backend %s cannot deploy Workers", t.Environment, t.Backend)
	}
	return ws, nil
}

// readGateway reads the live state of the target's gateway, or returns nil
// when the environment declares none.
func readGateway(ctx context.Context, be backend.Backend, t *hclspec.Target) (*planner.GatewayLive, error) {
	g := t.Gateway
	if g == nil {
		return nil, nil
	}
	ws, err := asWorkersStore(be, t)
	if err != nil {
		return nil, err
	}
	gl := &planner.GatewayLive{Database: gateway.Database{ID: ws.DatabaseID(), Name: ws.DatabaseName()}}
	script, err := ws.WorkerScript(ctx, g.Script)
	if err != nil {
		return nil, fmt.Errorf("read the gateway of environment %s: %w", t.Environment, err)
	}
	if script == nil {
		return gl, nil
	}
	lw := &planner.LiveWorker{CompatibilityDate: script.CompatibilityDate}
	for _, b := range script.Bindings {
		lw.Bindings = append(lw.Bindings, gateway.Binding{Type: b.Type, Name: b.Name, ID: b.ID, NamespaceID: b.NamespaceID, Text: plainText(b)})
	}
	if g.Route != nil {
		routes, err := ws.WorkerRoutes(ctx, g.Route.ZoneID)
		if err != nil {
			return nil, fmt.Errorf("read the gateway of environment %s: %w", t.Environment, err)
		}
		for _, r := range routes {
			lw.Routes = append(lw.Routes, planner.LiveRoute{Pattern: r.Pattern, Script: r.Script})
		}
	} else {
		on, err := ws.WorkersDevEnabled(ctx, g.Script)
		if err != nil {
			return nil, fmt.Errorf("read the gateway of environment %s: %w", t.Environment, err)
		}
		lw.WorkersDev = on
	}
	gl.Script = lw
	return gl, nil
}

// plainText keeps a binding's text only for plain_text bindings: whatever
// an API returns for another type is not kept in a plan.
func plainText(b cloudflare.WorkerBinding) string {
	if b.Type == cloudflare.BindingPlainText {
		return b.Text
	}
	return ""
}

// gatewaySecrets reads the gateway's secrets from the environment; an
// unset variable is an error naming it, never a value.
func (c *cli) gatewaySecrets(t *hclspec.Target) (secret, previous string, err error) {
	g := t.Gateway
	secret = c.getenv(g.SecretEnv)
	if secret == "" {
		return "", "", fmt.Errorf("the gateway of environment %s reads its secret from env.%s, which is not set, so nothing was applied", t.Environment, g.SecretEnv)
	}
	if err := gateway.CheckSecret(secret); err != nil {
		return "", "", fmt.Errorf("the gateway of environment %s: env.%s: %v, so nothing was applied", t.Environment, g.SecretEnv, err)
	}
	if g.PreviousSecretEnv != "" {
		previous = c.getenv(g.PreviousSecretEnv)
		if previous == "" {
			return "", "", fmt.Errorf("the gateway of environment %s reads previous_secret from env.%s, which is not set, so nothing was applied (remove previous_secret once the rotation is over)", t.Environment, g.PreviousSecretEnv)
		}
		if err := gateway.CheckSecret(previous); err != nil {
			return "", "", fmt.Errorf("the gateway of environment %s: env.%s: %v, so nothing was applied", t.Environment, g.PreviousSecretEnv, err)
		}
		if previous == secret {
			return "", "", fmt.Errorf("the gateway of environment %s: env.%s and env.%s hold the same secret; during a rotation previous_secret is the one being replaced", t.Environment, g.SecretEnv, g.PreviousSecretEnv)
		}
	}
	return secret, previous, nil
}

// gatewayDeployer uploads the environment's gateway (applier.GatewayDeployer).
type gatewayDeployer struct {
	c    *cli
	ws   workersStore
	spec *hclspec.Spec
	t    *hclspec.Target
	// url is the deployed gateway's address, once deployed.
	url string
}

func (d *gatewayDeployer) DeployGateway(ctx context.Context, step planner.Step, namespaces []state.Namespace) error {
	g := d.t.Gateway
	if g == nil || step.Target != g.Script {
		return fmt.Errorf("the plan deploys worker %s, but environment %s declares no such gateway", step.Target, d.t.Environment)
	}
	secret, previous, err := d.c.gatewaySecrets(d.t)
	if err != nil {
		return err
	}
	live := &state.Schema{}
	for i := range namespaces {
		live.Namespaces = append(live.Namespaces, &namespaces[i])
	}
	cfg := planner.GatewayConfig(d.spec, d.t.Environment, gateway.Database{ID: d.ws.DatabaseID(), Name: d.ws.DatabaseName()}, live)
	bs, err := cfg.Bindings(secret, previous)
	if err != nil {
		return scrub(err, secret, previous)
	}
	rec := planner.DeployRecord{ScriptSHA256: planner.ScriptSHA256(), SecretVersion: g.SecretVersion}
	bs = append(bs, gateway.Binding{Type: gateway.TypePlainText, Name: planner.DeployBinding, Text: rec.JSON()})
	up := cloudflare.WorkerUpload{MainModule: gateway.MainModule, Module: gateway.Script(), CompatibilityDate: gateway.CompatibilityDate}
	for _, b := range bs {
		up.Bindings = append(up.Bindings, cloudflare.WorkerBinding{Type: b.Type, Name: b.Name, ID: b.ID, NamespaceID: b.NamespaceID, Text: b.Text})
	}
	if err := d.ws.UploadWorker(ctx, g.Script, up); err != nil {
		return scrub(err, secret, previous)
	}
	if g.Route != nil {
		routes, err := d.ws.WorkerRoutes(ctx, g.Route.ZoneID)
		if err != nil {
			return scrub(err, secret, previous)
		}
		if err := d.ws.RouteWorker(ctx, g.Route.ZoneID, g.Route.Pattern, g.Script, routes); err != nil {
			return scrub(err, secret, previous)
		}
		d.url = routeURL(g.Route.Pattern)
		return nil
	}
	if err := d.ws.EnableWorkersDev(ctx, g.Script); err != nil {
		return scrub(err, secret, previous)
	}
	// The address is told, not needed: a failure to read it fails nothing.
	if sub, err := d.ws.WorkersSubdomain(ctx); err == nil && sub != "" {
		d.url = "https://" + g.Script + "." + sub + ".workers.dev"
	}
	return nil
}

// routeURL is the base address a route pattern serves: its host and path
// without the trailing wildcard ("api.example.com/dmplan/*" ->
// "https://api.example.com/dmplan").
func routeURL(pattern string) string {
	p := strings.TrimSuffix(strings.TrimSuffix(pattern, "*"), "/")
	p = strings.TrimPrefix(p, "*.")
	return "https://" + p
}

// scrub replaces the secrets in err's text, keeping what it wraps.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, sensitive)
		}
	}
	if msg == err.Error() {
		return err
	}
	return &shownError{msg: msg, err: err}
}
