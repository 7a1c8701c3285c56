package view

import (
	"strings"

	"github.com/dmplan/dmplan/planner"
)

// renderPlan is the human text of a plan, shared by plan, show and apply.
func renderPlan(st Styles, t Target, p *planner.Plan) string {
	var b strings.Builder
	b.WriteString(targetLine(st, t) + "\n\n")
	if len(p.Targets) > 0 {
		b.WriteString(st.Warning.Render("Warning:") + " " + TargetingWarning(p.Targets) + "\n\n")
	}
	sum := Summarize(p)
	if sum.Empty() {
		b.WriteString(renderNotes(st, p))
		b.WriteString(st.Success.Render(sum.PlanLine()) + "\n")
		return b.String()
	}
	for _, g := range groupByModel(p.Steps) {
		b.WriteString(st.Heading.Render(g.model) + "\n")
		for _, s := range g.steps {
			b.WriteString(renderStep(st, s))
		}
		b.WriteString("\n")
	}
	b.WriteString(renderNotes(st, p))
	b.WriteString(st.Summary.Render(sum.PlanLine()) + "\n")
	if sum.Blocked > 0 {
		b.WriteString(st.Muted.Render("Blocked changes are never applied: make them by hand as each hint says, or change the spec back.") + "\n")
	}
	if len(p.Targets) > 0 {
		b.WriteString(st.Warning.Render("Warning:") + " this plan is partial: it covers only " + modelNames(p.Targets) + ".\n")
	}
	return b.String()
}

// TargetingWarning says a plan covers only some models, loudly, as
// Terraform's resource targeting warning does.
func TargetingWarning(targets []string) string {
	return "targeting is in effect: this plan covers only " + modelNames(targets) + ".\n\n" +
		"Changes of the other models are left out, so the live schema may still differ\n" +
		"from the configuration after apply (and the gateway Worker is not updated).\n" +
		"Use -target for exceptional situations, such as a blocked model holding back\n" +
		"the others, then plan without it."
}

// modelNames is "model A" or "models A, B".
func modelNames(ms []string) string {
	if len(ms) == 1 {
		return "model " + ms[0]
	}
	return "models " + strings.Join(ms, ", ")
}

// targetLine is the header naming where the plan goes.
func targetLine(st Styles, t Target) string {
	return st.Heading.Render("Target:") + " " + st.Target.Render(t.String())
}

// renderStep prints one step: symbol, action and target, then the reason
// (blocked steps: code, reason and hint), then the SQL, dimmed.
func renderStep(st Styles, s planner.Step) string {
	var b strings.Builder
	b.WriteString("  " + st.Action(s.Action).String() + " " + actionLabel(s.Action) + " " + s.Target + "\n")
	if s.Action == planner.Blocked {
		line := s.Reason
		if s.Code != "" {
			line = st.Code.Render(s.Code) + " " + s.Reason
		}
		b.WriteString("      " + line + "\n")
		if s.Hint != "" {
			b.WriteString(renderLines(st.Muted, indent("hint: "+s.Hint, "      ")) + "\n")
		}
		return b.String()
	}
	if s.Worker != nil {
		b.WriteString(renderWorker(st, s.Worker))
		return b.String()
	}
	if s.Reason != "" && showReason(s.Action) {
		b.WriteString(renderLines(st.Muted, indent("# "+s.Reason, "      ")) + "\n")
	}
	if e := EstimateText(s.Rows); e != "" {
		b.WriteString(renderLines(st.Muted, indent("# "+e, "      ")) + "\n")
	}
	for _, q := range s.SQL {
		b.WriteString(renderLines(st.SQL, indent(prettySQL(q), "      ")) + "\n")
	}
	return b.String()
}

// showReason reports whether a step's reason says more than its action
// and target already do.
func showReason(a planner.Action) bool {
	return a == planner.AddColumn || a == planner.Backfill || a == planner.Seed || a == planner.FillKV
}

func renderNotes(st Styles, p *planner.Plan) string {
	if p == nil || len(p.Notes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(st.Heading.Render("Notes") + st.Muted.Render(" (reported, never changed)") + "\n")
	for _, n := range p.Notes {
		line := "  - "
		if n.Code != "" {
			line += n.Code + " "
		}
		if n.Target != "" {
			line += n.Target + ": "
		}
		b.WriteString(st.Muted.Render(line+n.Message) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

type stepGroup struct {
	model string
	steps []planner.Step
}

// groupByModel groups steps by model in the order models first appear,
// keeping the plan's order inside each group.
func groupByModel(steps []planner.Step) []stepGroup {
	var groups []stepGroup
	index := map[string]int{}
	for _, s := range steps {
		name := s.Model
		if s.Worker != nil {
			name = "gateway"
		} else if name == "" {
			name = "(no model)"
		}
		i, ok := index[name]
		if !ok {
			i = len(groups)
			index[name] = i
			groups = append(groups, stepGroup{model: name})
		}
		groups[i].steps = append(groups[i].steps, s)
	}
	return groups
}

// renderWorker prints a worker step's changes and bindings; a secret shows
// only the variable it comes from.
func renderWorker(st Styles, w *planner.WorkerStep) string {
	var b strings.Builder
	b.WriteString(renderLines(st.Muted, indent("# gateway version "+w.Version+", served on "+w.Served, "      ")) + "\n")
	for _, c := range w.Changes {
		b.WriteString("      " + st.Add.String() + " " + c + "\n")
	}
	for _, bd := range w.Bindings {
		b.WriteString(renderLines(st.SQL, indent(bd.Name+" ("+bd.Type+") = "+bd.Target, "      ")) + "\n")
	}
	return b.String()
}

// EstimateText is a step's RowEstimate in words: "D1 rows (estimate): up
// to 1,000 read, 2,000 written", or "" for none.
func EstimateText(e *planner.RowEstimate) string {
	switch {
	case e == nil:
		return ""
	case e.Unknown:
		return "D1 rows (estimate): unknown, the table's row count could not be bounded"
	}
	return "D1 rows (estimate): up to " + Thousands(e.Read) + " read, " + Thousands(e.Written) + " written"
}

// withEstimate is a step's reason followed by its row estimate.
func withEstimate(s planner.Step) string {
	if e := EstimateText(s.Rows); e != "" {
		if s.Reason == "" {
			return e
		}
		return s.Reason + " (" + e + ")"
	}
	return s.Reason
}
