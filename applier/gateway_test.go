package applier

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	gateway "github.com/dmplan/dmplan/backend/gateway/worker"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

const gatewayHCL = baseHCL + `
environment "production" {
  backend    = "cloudflare"
  account_id = "acct"
  database   = "shop"
  gateway { secret = env.GW_SECRET }
}
`

// recordingDeployer records the deploys it is asked for, and what the
// target held when each came.
type recordingDeployer struct {
	b        backend.Backend
	steps    []planner.Step
	nss      [][]state.Namespace
	tablesAt []bool // page_meta existed when the deploy came
	err      error
}

func (r *recordingDeployer) DeployGateway(ctx context.Context, s planner.Step, nss []state.Namespace) error {
	r.steps = append(r.steps, s)
	r.nss = append(r.nss, nss)
	live, err := backend.Inspect(ctx, r.b.D1(), r.b.KV())
	if err != nil {
		return err
	}
	r.tablesAt = append(r.tablesAt, live.Table("page_meta") != nil)
	return r.err
}

func gatewayPlan(t *testing.T, b backend.Backend) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(context.Background(), b.D1(), b.KV())
	if err != nil {
		t.Fatal(err)
	}
	return planner.Diff(loadSpec(t, gatewayHCL), "production", live,
		planner.WithGateway(&planner.GatewayLive{Database: gateway.Database{ID: "db", Name: "shop"}}))
}

func TestApplyDeploysGatewayLast(t *testing.T) {
	b := openStore(t)
	p := gatewayPlan(t, b)
	last := p.Steps[len(p.Steps)-1]
	if last.Action != planner.DeployWorker {
		t.Fatalf("last step %s, want deploy_worker", last.Action)
	}
	if _, err := Apply(context.Background(), b, p, Options{}); !errors.Is(err, ErrUnsupportedStep) {
		t.Fatalf("apply without a deployer: %v, want ErrUnsupportedStep", err)
	}
	if live, _ := backend.Inspect(context.Background(), b.D1(), b.KV()); len(live.Tables) != 0 || len(live.Namespaces) != 0 {
		t.Fatalf("a refused plan changed the target: %+v", live)
	}
	dep := &recordingDeployer{b: b}
	r := mustApply(t, b, p, Options{Gateway: dep})
	if len(dep.steps) != 1 || dep.steps[0].Target != "shop-production-gateway" {
		t.Fatalf("deploys = %+v", dep.steps)
	}
	if !dep.tablesAt[0] {
		t.Error("the worker was deployed before the tables existed")
	}
	if len(dep.nss[0]) != 1 || dep.nss[0][0].Title != "shop-production-PAGES" || dep.nss[0][0].ID == "" {
		t.Errorf("the deployer got namespaces %+v, want the one this apply created, with its id", dep.nss[0])
	}
	if r.Outcome != state.OutcomeApplied {
		t.Errorf("outcome %s", r.Outcome)
	}
	recs, err := History(context.Background(), b.D1(), 0)
	if err != nil || len(recs) != 1 || recs[0].Outcome != state.OutcomeApplied {
		t.Fatalf("history = %+v, %v", recs, err)
	}
	if got := recs[0].Steps[len(recs[0].Steps)-1]; got.Action != "deploy_worker" || got.Target != "shop-production-gateway" {
		t.Errorf("history's last step = %+v", got)
	}
}

func TestApplyGatewayFailureIsRecorded(t *testing.T) {
	b := openStore(t)
	p := gatewayPlan(t, b)
	dep := &recordingDeployer{b: b, err: errors.New("upload refused")}
	_, err := Apply(context.Background(), b, p, Options{Gateway: dep})
	var se *StepError
	if !errors.As(err, &se) || se.Step.Action != planner.DeployWorker || !strings.Contains(err.Error(), "upload refused") {
		t.Fatalf("err = %v, want a StepError for the deploy", err)
	}
	recs, herr := History(context.Background(), b.D1(), 0)
	if herr != nil || len(recs) != 1 || recs[0].Outcome != state.OutcomeFailed || recs[0].FailedStep != se.Index {
		t.Fatalf("history = %+v, %v", recs, herr)
	}
}
