package view

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/planner"
)

// PlanReport is what plan and show hand to their view.
type PlanReport struct {
	// Project is the project's name; the markdown comment's marker holds
	// it (see CommentMarker).
	Project string
	Target  Target
	Plan    *planner.Plan
	// SavedTo is the plan file written with -out, or "".
	SavedTo string
}

// Plan renders the plan and show commands. Plan and Error each end the
// output; call exactly one of them, after any Diagnostics.
type Plan interface {
	Diagnostics(diags hcl.Diagnostics)
	Plan(r PlanReport)
	Error(err error)
}

var (
	_ Plan = (*PlanHuman)(nil)
	_ Plan = (*PlanJSON)(nil)
	_ Plan = (*PlanMarkdown)(nil)
)

// NewPlan returns the plan view for the format.
func NewPlan(t Type, s Streams) Plan {
	switch t {
	case JSON:
		return &PlanJSON{jsonView{out: s.Out}}
	case Markdown:
		return &PlanMarkdown{humanView: newHumanView(s)}
	default:
		return &PlanHuman{newHumanView(s)}
	}
}

// PlanHuman prints a plan for a terminal.
type PlanHuman struct{ humanView }

// Plan prints the target, the steps grouped by model, the notes and the
// summary line.
func (v *PlanHuman) Plan(r PlanReport) {
	r = clean(r)
	v.printf("%s", renderPlan(v.out, r.Target, r.Plan))
	if r.SavedTo == "" {
		return
	}
	v.printf("\nSaved the plan to: %s\n", r.SavedTo)
	if n := len(r.Plan.Blocked()); n > 0 {
		// Saved for review (show, a PR comment), but apply refuses it.
		v.printf("It cannot be applied while it has %s: resolve %s as the hints say, then plan again.\n",
			plural(n, "blocked change", "blocked changes"), pluralWord(n, "it", "them"))
		return
	}
	v.printf("To apply it, run: dmplan apply %s\n", r.SavedTo)
}

// PlanJSON writes a plan as one JSON document.
type PlanJSON struct{ jsonView }

// Diagnostics collects diagnostics for the document.
func (v *PlanJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// Plan writes {format_version, target, plan, summary, diagnostics}.
func (v *PlanJSON) Plan(r PlanReport) {
	sum := Summarize(r.Plan)
	t := r.Target
	v.write(document{Target: &t, Plan: newJSONPlan(r.Plan), Summary: &sum, SavedTo: r.SavedTo})
}

// Error writes {format_version, error: {message}, diagnostics}.
func (v *PlanJSON) Error(err error) { v.writeError(err) }
