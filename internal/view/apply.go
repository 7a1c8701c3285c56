package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// Apply outcomes.
const (
	OutcomeApplied   = "applied"
	OutcomeNoChanges = "no_changes"
	OutcomeCancelled = "cancelled"
)

// ApplyResult is what an apply did, in the JSON document under "apply".
type ApplyResult struct {
	PlanID            string    `json:"plan_id"`
	Outcome           string    `json:"outcome"` // applied, no_changes, cancelled
	StepsApplied      int       `json:"steps_applied"`
	FingerprintBefore string    `json:"fingerprint_before"`
	FingerprintAfter  string    `json:"fingerprint_after"`
	StartedAt         time.Time `json:"started_at"`
	FinishedAt        time.Time `json:"finished_at"`
	DurationMS        int64     `json:"duration_ms"`
	// GatewayURL is the address of the gateway Worker the apply deployed
	// or updated: what services set as DMPLAN_GATEWAY_URL.
	GatewayURL string `json:"gateway_url,omitempty"`
	// Cost is the D1 rows the apply read and wrote (backend.Cost), and
	// StepCosts what each backfill and seed step of it cost.
	Cost      backend.Cost `json:"cost"`
	StepCosts []StepCost   `json:"step_costs,omitempty"`
}

// StepCost is the D1 rows one backfill or seed step read and wrote.
type StepCost struct {
	Index  int            `json:"index"` // 0-based position in the plan
	Action planner.Action `json:"action"`
	Target string         `json:"target"`
	backend.Cost
}

// Apply renders the apply command: the plan, the approval prompt, progress
// and the result. Applied, Cancelled and Error each end the output.
type Apply interface {
	Diagnostics(diags hcl.Diagnostics)
	// Plan shows what will be applied, before approval.
	Plan(r PlanReport)
	// AskApproval writes the question; the command reads the answer.
	AskApproval()
	// Applying says work has started.
	Applying(t Target, p *planner.Plan)
	// Step reports one step as it is applied (err nil) or fails.
	Step(s planner.Step, err error)
	Applied(t Target, p *planner.Plan, r ApplyResult)
	Cancelled(t Target, p *planner.Plan)
	Error(err error)
}

var (
	_ Apply = (*ApplyHuman)(nil)
	_ Apply = (*ApplyJSON)(nil)
)

// NewApply returns the apply view for the format. Markdown is not an apply
// format; it falls back to human.
func NewApply(t Type, s Streams) Apply {
	if t == JSON {
		return &ApplyJSON{jsonView: jsonView{out: s.Out}}
	}
	return &ApplyHuman{newHumanView(s)}
}

// ApplyHuman prints an apply for a terminal or a CD log.
type ApplyHuman struct{ humanView }

// Plan prints the plan about to be applied.
func (v *ApplyHuman) Plan(r PlanReport) { v.printf("%s", renderPlan(v.out, r.Target, r.Plan)) }

// AskApproval writes Terraform's question.
func (v *ApplyHuman) AskApproval() {
	v.printf("\n%s\n  Only 'yes' will be accepted.\n\n  Enter a value: ", v.out.Heading.Render("Do you want to apply?"))
}

// Applying says how many steps are about to run.
func (v *ApplyHuman) Applying(t Target, p *planner.Plan) {
	n := 0
	for _, s := range p.Steps {
		if s.Action != planner.Blocked {
			n++
		}
	}
	v.printf("\nApplying %s to %s...\n", plural(n, "step", "steps"), t.String())
}

// Applied lists what was done and prints the summary line.
func (v *ApplyHuman) Applied(t Target, p *planner.Plan, r ApplyResult) {
	if r.Outcome == OutcomeNoChanges {
		return // the plan already said "No changes."
	}
	sum := Summarize(p)
	v.printf("\n%s\n", v.out.Success.Render(sum.AppliedLine()))
	if sum.Blocked > 0 {
		v.printf("%s\n", v.out.Blocked.Render(plural(sum.Blocked, "blocked change was", "blocked changes were")+" not applied; see the hints above."))
	}
	if r.GatewayURL != "" {
		v.printf("Gateway: %s (services set DMPLAN_GATEWAY_URL to it)\n", v.out.Target.Render(r.GatewayURL))
	}
	v.printf("%s\n", v.out.Muted.Render(fmt.Sprintf("Recorded in history as plan %s (%s).", r.PlanID, time.Duration(r.DurationMS)*time.Millisecond)))
	v.printf("%s\n", v.out.Muted.Render("D1 rows: "+CostText(r.Cost)+"."))
	for _, sc := range r.StepCosts {
		v.printf("%s\n", v.out.Muted.Render(fmt.Sprintf("  %s %s: %s", actionLabel(sc.Action), sc.Target, CostText(sc.Cost))))
	}
}

// CostText is "1,200 read, 300 written", the D1 rows of a Cost.
func CostText(c backend.Cost) string {
	return Thousands(c.RowsRead) + " read, " + Thousands(c.RowsWritten) + " written"
}

// Step prints "  + created table posts", or the failure.
func (v *ApplyHuman) Step(s planner.Step, err error) {
	if err != nil {
		v.printf("  %s %s %s\n", v.out.Blocked.String(), v.out.Error.Render("failed:"), actionLabel(s.Action)+" "+s.Target)
		return
	}
	v.printf("  %s %s\n", v.out.Action(s.Action).String(), doneLabel(s))
}

// Cancelled says nothing was changed.
func (v *ApplyHuman) Cancelled(Target, *planner.Plan) {
	v.printf("\nApply cancelled. Nothing was changed.\n")
}

// doneLabel is a step in the past tense: "created table page_meta".
func doneLabel(s planner.Step) string {
	label := actionLabel(s.Action)
	verb, rest, _ := strings.Cut(label, " ")
	switch verb {
	case "create":
		verb = "created"
	case "add":
		verb = "added"
	case "backfill":
		verb = "backfilled"
	case "seed":
		verb = "seeded"
	case "deploy":
		verb = "deployed"
	case "update":
		verb = "updated"
	}
	if rest == "" {
		return verb + " " + s.Target
	}
	return verb + " " + rest + " " + s.Target
}

// ApplyJSON writes an apply as one JSON document.
type ApplyJSON struct {
	jsonView
	plan *PlanReport
}

// Diagnostics collects diagnostics for the document.
func (v *ApplyJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// Plan remembers the plan for the document.
func (v *ApplyJSON) Plan(r PlanReport) { v.plan = &r }

// AskApproval writes nothing: JSON output never prompts.
func (v *ApplyJSON) AskApproval() {}

// Applying writes nothing: the document comes at the end.
func (v *ApplyJSON) Applying(Target, *planner.Plan) {}

// Step writes nothing: the document comes at the end.
func (v *ApplyJSON) Step(planner.Step, error) {}

// Applied writes {format_version, target, plan, summary, apply}.
func (v *ApplyJSON) Applied(t Target, p *planner.Plan, r ApplyResult) {
	sum := Summarize(p)
	v.write(document{Target: &t, Plan: newJSONPlan(p), Summary: &sum, Apply: &r})
}

// Cancelled writes the document with outcome "cancelled".
func (v *ApplyJSON) Cancelled(t Target, p *planner.Plan) {
	v.Applied(t, p, ApplyResult{PlanID: p.ID, Outcome: OutcomeCancelled, FingerprintBefore: p.Fingerprint})
}

// Error writes {format_version, error: {message}, diagnostics}.
func (v *ApplyJSON) Error(err error) { v.writeError(err) }
