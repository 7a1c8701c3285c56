package view

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/planner"
)

func workerPlan(action planner.Action, changes ...string) *planner.Plan {
	return &planner.Plan{ID: "p", Steps: []planner.Step{{
		Action: action, Target: "nimbus-production-gateway", Safe: true,
		Worker: &planner.WorkerStep{Script: "nimbus-production-gateway", Version: "1.0", Served: "workers.dev",
			Bindings: []planner.WorkerBinding{
				{Name: "DMPLAN_D1", Type: "d1", Target: "D1 database nimbus"},
				{Name: "NIMBUS_PAGES", Type: "kv_namespace", Target: "KV namespace nimbus-production-PAGES"},
				{Name: "DMPLAN_SECRET", Type: "secret_text", Target: "(secret from env.GW_SECRET)"},
			},
			Changes: changes},
	}}}
}

func TestWorkerHuman(t *testing.T) {
	got := renderHuman(t, false, workerPlan(planner.DeployWorker))
	for _, want := range []string{
		"  + deploy worker nimbus-production-gateway\n",
		"      # gateway version 1.0, served on workers.dev\n",
		"      DMPLAN_D1 (d1) = D1 database nimbus\n",
		"      NIMBUS_PAGES (kv_namespace) = KV namespace nimbus-production-PAGES\n",
		"      DMPLAN_SECRET (secret_text) = (secret from env.GW_SECRET)\n",
		"Plan: 0 to create, 0 to add, 1 worker to deploy.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("human plan lacks %q:\n%s", want, got)
		}
	}
	got = renderHuman(t, false, workerPlan(planner.UpdateWorker, "add binding NIMBUS_PAGES = KV namespace nimbus-production-PAGES"))
	for _, want := range []string{
		"  ~ update worker nimbus-production-gateway\n",
		"      ~ add binding NIMBUS_PAGES = KV namespace nimbus-production-PAGES\n",
		"1 worker to update.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("human plan lacks %q:\n%s", want, got)
		}
	}
}

func TestWorkerMarkdown(t *testing.T) {
	got := RenderMarkdown("nimbus", Target{Environment: "production", Backend: "cloudflare", Database: "nimbus"},
		workerPlan(planner.UpdateWorker, "script version 0.9 -> 1.0"))
	for _, want := range []string{
		"| `~` | update worker | `nimbus-production-gateway` |",
		"#### Worker `nimbus-production-gateway` (update worker)",
		"- script version 0.9 -> 1.0",
		"| `DMPLAN_SECRET` | secret_text | (secret from env.GW_SECRET) |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
}
