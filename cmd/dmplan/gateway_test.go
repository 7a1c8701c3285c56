package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// TestGatewayDeployBudget counts the requests the gateway costs: reading
// it for a plan (1 when missing, 2 once deployed) and deploying it on
// workers.dev (3: the upload, the script's subdomain switch, the
// account's subdomain for the address it prints).
func TestGatewayDeployBudget(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "shop")
	src := `
project "shop" {}
environment "production" {
  backend    = "cloudflare"
  account_id = "` + acct + `"
  database   = "shop"
  gateway { secret = env.GW }
}
model "PAGE" {
  kv { namespace = "PAGES" }
}
`
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tg, diags := spec.ResolveEnvironment("production", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: "shop", BaseURL: h.BaseURL,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.KV().CreateNamespace(ctx, "shop-production-PAGES")
	if err != nil {
		t.Fatal(err)
	}
	c := newCLI(nil, &strings.Builder{}, &strings.Builder{}, func(k string) string {
		if k == "GW" {
			return "gw-budget-s3cret"
		}
		return ""
	})
	count := func(name string, want int, f func() error) {
		t.Helper()
		before := s.Requests()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := int(s.Requests() - before); got != want {
			t.Errorf("%s: %d requests, want %d", name, got, want)
		}
	}
	var gl *planner.GatewayLive
	count("read a missing gateway", 1, func() error { gl, err = readGateway(ctx, s, tg); return err })
	if gl == nil || gl.Script != nil || gl.Database.Name != "shop" {
		t.Fatalf("live gateway = %+v", gl)
	}
	p := planner.Diff(spec, "production", &state.Schema{Namespaces: []*state.Namespace{{Title: ns.Title, ID: ns.ID}}}, planner.WithGateway(gl))
	step := p.Steps[len(p.Steps)-1]
	d := &gatewayDeployer{c: c, ws: s, spec: spec, t: tg}
	count("deploy", 3, func() error {
		return d.DeployGateway(ctx, step, []state.Namespace{{Title: ns.Title, ID: ns.ID}})
	})
	if d.url != "https://shop-production-gateway.dmplan-harness.workers.dev" {
		t.Errorf("deployed at %q", d.url)
	}
	count("read a deployed gateway", 2, func() error { gl, err = readGateway(ctx, s, tg); return err })
	p = planner.Diff(spec, "production", &state.Schema{Namespaces: []*state.Namespace{{Title: ns.Title, ID: ns.ID}}}, planner.WithGateway(gl))
	for _, st := range p.Steps {
		if st.Worker != nil {
			t.Errorf("plan after the deploy: %+v", st)
		}
	}
}

func TestScrub(t *testing.T) {
	inner := errors.New("inner")
	err := scrub(fmt.Errorf("upload said s3cret-A and s3cret-B: %w", inner), "s3cret-A", "s3cret-B", "")
	if strings.Contains(err.Error(), "s3cret") || !errors.Is(err, inner) {
		t.Errorf("scrub = %v", err)
	}
	if scrub(nil, "x") != nil {
		t.Error("scrub(nil) != nil")
	}
}

func TestRouteURL(t *testing.T) {
	for pattern, want := range map[string]string{
		"api.example.com/dmplan/*": "https://api.example.com/dmplan",
		"gw.example.com/*":         "https://gw.example.com",
		"*.example.com/gw*":        "https://example.com/gw",
	} {
		if got := routeURL(pattern); got != want {
			t.Errorf("routeURL(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestSavedPlanWorkerSteps: a saved worker step runs the Worker the sources
// give now (or nothing when it already is that); a worker step the saved
// plan lacks (the live Worker changed since) is refused.
func TestSavedPlanWorkerSteps(t *testing.T) {
	spec := &hclspec.Spec{}
	table := planner.Step{Action: planner.CreateTable, Target: "posts", SQL: []string{"CREATE TABLE posts (id)"}}
	deploy := planner.Step{Action: planner.DeployWorker, Target: "gw", Worker: &planner.WorkerStep{Script: "gw"}}
	update := planner.Step{Action: planner.UpdateWorker, Target: "gw", Worker: &planner.WorkerStep{Script: "gw", Changes: []string{"serve on workers.dev"}}}
	tests := []struct {
		name           string
		saved, derived []planner.Step
		want           []planner.Action
		wantErr        string
	}{
		{"same", []planner.Step{table, deploy}, []planner.Step{table, deploy}, []planner.Action{planner.CreateTable, planner.DeployWorker}, ""},
		{"deployed meanwhile: the derived update runs", []planner.Step{table, deploy}, []planner.Step{table, update}, []planner.Action{planner.CreateTable, planner.UpdateWorker}, ""},
		{"already as the sources say", []planner.Step{table, deploy}, []planner.Step{table}, []planner.Action{planner.CreateTable}, ""},
		{"drift after the plan", []planner.Step{table}, []planner.Step{table, update}, nil, "update_worker gw (the live Worker changed since)"},
		{"another script", []planner.Step{table, {Action: planner.DeployWorker, Target: "other"}}, []planner.Step{table, deploy}, nil, "step 2 (deploy_worker other) differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := matchSavedSteps(spec, tt.saved, tt.derived)
			if tt.wantErr != "" {
				if !errors.Is(err, errPlanMismatch) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a mismatch saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var acts []planner.Action
			for _, s := range got {
				acts = append(acts, s.Action)
			}
			if fmt.Sprint(acts) != fmt.Sprint(tt.want) {
				t.Errorf("steps = %v, want %v", acts, tt.want)
			}
		})
	}
}

// TestConcurrentGatewayApplies runs three applies of the same environment
// at once: the target's lock orders them, the first deploys the gateway
// (and the tables), the others find nothing left to do, and a plan
// afterwards is empty.
func TestConcurrentGatewayApplies(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "shop")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.dm.hcl"), []byte(limitSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CF_ACCOUNT": acct, "CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_BASE_URL": h.BaseURL, "GW_SECRET": "concurrent-s3cret"}
	getenv := func(k string) string { return env[k] }
	type result struct {
		code     int
		out, err string
	}
	results := make(chan result, 3)
	for i := 0; i < 3; i++ {
		go func() {
			var out, errOut strings.Builder
			code := run(ctx, []string{"apply", "-auto-approve", "-lock-timeout", "2m", "-env", "production", dir}, nil, &out, &errOut, getenv)
			results <- result{code, out.String(), errOut.String()}
		}()
	}
	deployed := 0
	for i := 0; i < 3; i++ {
		r := <-results
		if r.code != 0 {
			t.Errorf("apply exited %d:\n%s\n%s", r.code, r.out, r.err)
		}
		if strings.Contains(r.out, "1 worker deployed") {
			deployed++
		}
		if strings.Contains(r.out+r.err, "concurrent-s3cret") {
			t.Errorf("an apply printed the secret")
		}
	}
	if deployed != 1 {
		t.Errorf("%d applies deployed the worker, want exactly 1", deployed)
	}
	var out, errOut strings.Builder
	if code := run(ctx, []string{"plan", "-detailed-exitcode", "-env", "production", dir}, nil, &out, &errOut, getenv); code != 0 {
		t.Errorf("plan after the applies: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
}

// TestGatewayDeployInterrupted loses the answer of each Workers write of a
// deploy in turn, once and then for the next several requests (the
// request runs, the connection drops: what a timeout, or a crash, right
// after it looks like), then applies again: that apply converges, a plan
// after it is empty and the deployed gateway answers to its secret.
func TestGatewayDeployInterrupted(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	setup := func(t *testing.T) (acct string, apply func() (int, string)) {
		acct = h.NewAccount(t)
		h.NewDatabase(t, acct, "shop")
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "shop.dm.hcl"), []byte(limitSpec), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"CF_ACCOUNT": acct, "CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_BASE_URL": h.BaseURL, "GW_SECRET": "interrupted-s3cret"}
		getenv := func(k string) string { return env[k] }
		return acct, func() (int, string) {
			var out, errOut strings.Builder
			code := run(ctx, []string{"apply", "-auto-approve", "-env", "production", dir}, nil, &out, &errOut, getenv)
			if strings.Contains(out.String()+errOut.String(), "interrupted-s3cret") {
				t.Errorf("apply printed the secret")
			}
			if code == 0 {
				code2 := run(ctx, []string{"plan", "-detailed-exitcode", "-env", "production", dir}, nil, &out, &errOut, getenv)
				if code2 != 0 {
					return code2, out.String() + errOut.String()
				}
			}
			return code, out.String() + errOut.String()
		}
	}
	// A clean apply, to find where the Workers requests fall.
	acct, apply := setup(t)
	if code, out := apply(); code != 0 {
		t.Fatalf("clean apply: %d\n%s", code, out)
	}
	var at []int
	for i, r := range h.Requests(t, acct) {
		if strings.Contains(r.Path, "/workers/") && r.Method != http.MethodGet {
			at = append(at, i)
		}
	}
	if len(at) < 2 {
		t.Fatalf("the deploy sent %d Workers writes, want the upload and the subdomain switch", len(at))
	}
	for _, skip := range at {
		for _, lost := range []int{1, cloudflare.DefaultMaxAttempts} {
			t.Run(fmt.Sprintf("request %d lost %d times", skip, lost), func(t *testing.T) {
				acct, apply := setup(t)
				h.SetFault(t, cftest.Fault{Account: acct, Drop: true, Count: lost, After: true, Skip: skip})
				code, out := apply()
				// The Workers calls are idempotent, so a lost answer is
				// retried; losing the next requests of every attempt may
				// fail the apply (or only the address it prints, which is
				// told, not needed). Either way the next apply converges.
				if lost == 1 && code != 0 {
					t.Errorf("an apply whose request was lost once failed: %d\n%s", code, out)
				}
				t.Logf("apply with %d answers lost from request %d: exit %d", lost, skip, code)
				if code, out := apply(); code != 0 {
					t.Fatalf("apply after the interruption: exit %d\n%s", code, out)
				}
				scripts, _ := h.Scripts(t, acct)
				if len(scripts) != 1 {
					t.Fatalf("%d scripts served", len(scripts))
				}
				gw, err := gateway.Open(ctx, gateway.Options{URL: scripts[0].URL, Secret: "interrupted-s3cret"})
				if err != nil {
					t.Fatalf("the gateway after the interruption: %v", err)
				}
				gw.Close()
			})
		}
	}
}
