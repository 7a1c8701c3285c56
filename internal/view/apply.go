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
	// OutcomeBlocked: the plan has blocked steps, so nothing was applied.
	OutcomeBlocked = "blocked"
)

// ApplyResult is what an apply did, in the JSON document under "apply".
type ApplyResult struct {
	PlanID            string    `json:"plan_id"`
	Outcome           string    `json:"outcome"` // applied, no_changes, cancelled, blocked
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
	// Written is what the seed and backfill steps wrote.
	Written *Written `json:"written,omitempty"`
	// InterruptedApplies are earlier applies this one found unfinished
	// in history (killed, or unable to record their end) and marked
	// interrupted.
	InterruptedApplies []InterruptedApply `json:"interrupted_applies,omitempty"`
	// Warnings are problems that did not stop the apply: its history row
	// could not be completed, say.
	Warnings []string `json:"warnings,omitempty"`
	// Replanned says the plan shown was derived again under the lock,
	// because the target changed after it was made; the result is that
	// plan's.
	Replanned bool `json:"replanned,omitempty"`
}

// StepCost is the D1 rows one backfill or seed step read and wrote.
type StepCost struct {
	Index  int            `json:"index"` // 0-based position in the plan
	Action planner.Action `json:"action"`
	Target string         `json:"target"`
	backend.Cost
}

// Written is what the record-writing steps of an apply wrote, so the
// closing line says what happened rather than what was planned.
type Written struct {
	// SeedRecords counts the records seeds created or updated.
	SeedRecords int `json:"seed_records"`
	// SeedRestored counts the seeds whose D1 row was written back from
	// their KV object.
	SeedRestored int `json:"seed_restored"`
	// SeedsUnchanged counts the seed steps that found nothing to write
	// (their record was already there, or was restored by a refill).
	SeedsUnchanged int `json:"seeds_unchanged"`
	// BackfillRows counts the D1 rows backfills wrote from KV, refills
	// of recreated tables included.
	BackfillRows int `json:"backfill_rows"`
}

// StepOutcome is what an applied step wrote, for seed and backfill steps;
// zero for the others.
type StepOutcome struct {
	// Records is the records the step wrote: D1 rows for a backfill; for
	// a seed, records created or updated plus rows restored.
	Records int
	// Restored is, for a seed, the D1 rows written back from its KV
	// object.
	Restored int
	// Note says why a seed wrote nothing.
	Note string
}

// InterruptedApply is an earlier apply found unfinished in history.
type InterruptedApply struct {
	HistoryID int64     `json:"history_id"`
	PlanID    string    `json:"plan_id"`
	Actor     string    `json:"actor"`
	StartedAt time.Time `json:"started_at"`
}

// Apply renders the apply command: the plan, the approval prompt, progress
// and the result. Applied, Cancelled and Error each end the output.
type Apply interface {
	Diagnostics(diags hcl.Diagnostics)
	// Plan shows what will be applied, before approval.
	Plan(r PlanReport)
	// AskApproval writes the question, naming the target; the command
	// reads the answer.
	AskApproval(t Target)
	// Applying says work has started.
	Applying(t Target, p *planner.Plan)
	// Step reports one step as it is applied (err nil), with what it
	// wrote, or fails.
	Step(s planner.Step, o StepOutcome, err error)
	Applied(t Target, p *planner.Plan, r ApplyResult)
	Cancelled(t Target, p *planner.Plan)
	// Blocked says the plan was not applied because of its blocked steps
	// (err says what to do).
	Blocked(t Target, p *planner.Plan, err error)
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
	return &ApplyHuman{humanView: newHumanView(s)}
}

// ApplyHuman prints an apply for a terminal or a CD log.
type ApplyHuman struct {
	humanView
	plan *planner.Plan // the plan being applied, from Applying
}

// Plan prints the plan about to be applied.
func (v *ApplyHuman) Plan(r PlanReport) {
	r = clean(r)
	v.printf("%s", renderPlan(v.out, r.Target, r.Plan))
}

// AskApproval writes Terraform's question, naming where the changes go
// (environment, backend and database; never the account, which the plan's
// header may show).
func (v *ApplyHuman) AskApproval(t Target) {
	q := fmt.Sprintf("Do you want to apply these changes to environment %q?", t.Environment)
	v.printf("\n%s\n  Backend %s, database %s.\n  Only 'yes' will be accepted.\n\n  Enter a value: ",
		v.out.Heading.Render(q), t.Backend, t.Database)
}

// Applying says how many steps are about to run.
func (v *ApplyHuman) Applying(t Target, p *planner.Plan) {
	t = clean(t)
	n := 0
	for _, s := range p.Steps {
		if s.Action != planner.Blocked {
			n++
		}
	}
	v.plan = p
	v.printf("\nApplying %s to %s...\n", plural(n, "step", "steps"), t.String())
}

// Applied lists what was done and prints the summary line.
func (v *ApplyHuman) Applied(t Target, p *planner.Plan, r ApplyResult) {
	r = clean(r)
	if r.Outcome == OutcomeNoChanges && r.Replanned {
		v.printf("\n%s the target already matches the spec: it changed after this plan was made "+
			"(another apply made these changes), and planning again under the lock found nothing left. Nothing was applied.\n",
			v.out.Success.Render("Nothing to do:"))
		return
	}
	if r.Outcome == OutcomeNoChanges {
		return // the plan already said "No changes."
	}
	if r.Replanned {
		v.printf("%s\n", v.out.Muted.Render("The target changed after the plan was made; planning again under the lock gave the same steps, which were applied."))
	}
	sum := Summarize(p)
	v.printf("\n%s\n", v.out.Success.Render(sum.appliedLine(r.Written)))
	if sum.Blocked > 0 {
		v.printf("%s\n", v.out.Blocked.Render(plural(sum.Blocked, "blocked change was", "blocked changes were")+" not applied; see the hints above."))
	}
	if r.GatewayURL != "" {
		v.printf("Gateway: %s (services set DMPLAN_GATEWAY_URL to it)\n", v.out.Target.Render(r.GatewayURL))
	}
	for _, i := range r.InterruptedApplies {
		v.printf("%s an earlier apply did not finish: plan %s by %s, started %s (history %d); it was killed or could not record its end, "+
			"and history now marks it interrupted. This apply was planned against what it left.\n",
			v.out.Warning.Render("Note:"), i.PlanID, i.Actor, i.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), i.HistoryID)
	}
	for _, w := range r.Warnings {
		v.printf("%s %s\n", v.out.Warning.Render("Warning:"), w)
	}
	if len(r.Warnings) == 0 {
		v.printf("%s\n", v.out.Muted.Render(fmt.Sprintf("Recorded in history as plan %s (%s).", r.PlanID, time.Duration(r.DurationMS)*time.Millisecond)))
	}
	v.printf("%s\n", v.out.Muted.Render("D1 rows: "+CostText(r.Cost)+"."))
	for _, sc := range r.StepCosts {
		note := ""
		if sc.Action == planner.Backfill {
			// The step line counts the records it filled; its cost also
			// holds the progress rows, so say so rather than disagree.
			note = " (its progress records included)"
		}
		v.printf("%s\n", v.out.Muted.Render(fmt.Sprintf("  %s %s: %s%s", actionLabel(sc.Action), sc.Target, CostText(sc.Cost), note)))
	}
}

// CostText is "1,200 read, 300 written", the D1 rows of a Cost.
func CostText(c backend.Cost) string {
	return Thousands(c.RowsRead) + " read, " + Thousands(c.RowsWritten) + " written"
}

// Step prints "  + created table posts", or the failure. Seed and
// backfill steps say what they wrote: "» seeded USER.admin (1 record)",
// "» seed USER.admin: nothing written (a users row matches email)",
// "» refilled users from KV (2 rows written)".
func (v *ApplyHuman) Step(s planner.Step, o StepOutcome, err error) {
	s, o = clean(s), clean(o)
	if err != nil {
		v.printf("  %s %s %s\n", v.out.Blocked.String(), v.out.Error.Render("failed:"), actionLabel(s.Action)+" "+s.Target)
		return
	}
	label := doneLabel(s)
	switch s.Action {
	case planner.Seed:
		label = seedDoneLabel(s, o)
	case planner.Backfill:
		if v.plan.Refills(s) {
			table, _, _ := strings.Cut(s.Target, ".")
			label = "refilled " + table + " from KV"
		}
		label += " (" + thousandsOf(int64(o.Records), "row", "rows") + " written)"
	case planner.FillKV:
		label = "filled KV from " + s.Target + " (" + thousandsOf(int64(o.Records), "object", "objects") + " written)"
	}
	v.printf("  %s %s\n", v.out.Action(s.Action).String(), label)
}

// seedDoneLabel says what a seed step wrote.
func seedDoneLabel(s planner.Step, o StepOutcome) string {
	written := o.Records - o.Restored
	switch {
	case o.Restored > 0 && written > 0:
		return "seeded " + s.Target + " (its D1 row restored from KV, then " + plural(written, "record", "records") + " updated)"
	case o.Restored > 0:
		return "restored " + s.Target + " (its D1 row written back from its KV object)"
	case written > 0:
		return "seeded " + s.Target + " (" + plural(written, "record", "records") + ")"
	case o.Note != "":
		return "seed " + s.Target + ": nothing written (" + o.Note + ")"
	}
	return "seed " + s.Target + ": nothing written"
}

// Blocked prints the error: the plan above shows the blocked steps.
func (v *ApplyHuman) Blocked(_ Target, _ *planner.Plan, err error) { v.Error(err) }

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
func (v *ApplyJSON) AskApproval(Target) {}

// Applying writes nothing: the document comes at the end.
func (v *ApplyJSON) Applying(Target, *planner.Plan) {}

// Step writes nothing: the document comes at the end.
func (v *ApplyJSON) Step(planner.Step, StepOutcome, error) {}

// Applied writes {format_version, target, plan, summary, apply}.
func (v *ApplyJSON) Applied(t Target, p *planner.Plan, r ApplyResult) {
	sum := Summarize(p)
	v.write(document{Target: &t, Plan: newJSONPlan(p), Summary: &sum, Apply: &r})
}

// Cancelled writes the document with outcome "cancelled".
func (v *ApplyJSON) Cancelled(t Target, p *planner.Plan) {
	v.Applied(t, p, ApplyResult{PlanID: p.ID, Outcome: OutcomeCancelled, FingerprintBefore: p.Fingerprint})
}

// Blocked writes the document with outcome "blocked", the blocked steps
// listed on their own (code, reason, hint) and the error.
func (v *ApplyJSON) Blocked(t Target, p *planner.Plan, err error) {
	sum := Summarize(p)
	blocked := make([]jsonStep, 0, sum.Blocked)
	for _, s := range newJSONPlan(p).Steps {
		if s.Action == planner.Blocked.String() {
			blocked = append(blocked, s)
		}
	}
	v.write(document{Target: &t, Plan: newJSONPlan(p), Summary: &sum, Blocked: &blocked,
		Apply: &ApplyResult{PlanID: p.ID, Outcome: OutcomeBlocked, FingerprintBefore: p.Fingerprint},
		Error: &jsonError{Message: err.Error()}})
}

// Error writes {format_version, error: {message}, diagnostics}, with the
// target, plan and summary once the plan is known (an apply that failed
// part way).
func (v *ApplyJSON) Error(err error) {
	if v.plan == nil || v.plan.Plan == nil {
		v.writeError(err)
		return
	}
	sum := Summarize(v.plan.Plan)
	t := v.plan.Target
	v.write(document{Target: &t, Plan: newJSONPlan(v.plan.Plan), Summary: &sum, Error: &jsonError{Message: err.Error()}})
}
