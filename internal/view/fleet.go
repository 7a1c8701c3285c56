package view

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/planner"
)

// FleetNames is how many database names a group shows before "and N
// more".
const FleetNames = 5

// FleetReport is a plan over a fleet of databases, for the fleet views.
type FleetReport struct {
	Project string
	// Target describes the environment; Database says how the fleet is
	// chosen ("fleet: names", "fleet: prefix \"tenant-\"").
	Target Target
	Result *fleet.Result
}

// FleetPlan shows a plan over a fleet: one plan per group of databases.
type FleetPlan interface {
	Diagnostics(diags hcl.Diagnostics)
	Plan(r FleetReport)
	Error(err error)
}

var (
	_ FleetPlan = (*FleetPlanHuman)(nil)
	_ FleetPlan = (*FleetPlanJSON)(nil)
	_ FleetPlan = (*FleetPlanMarkdown)(nil)
)

// NewFleetPlan returns the fleet plan view for the format.
func NewFleetPlan(t Type, s Streams) FleetPlan {
	switch t {
	case JSON:
		return &FleetPlanJSON{fleetJSON{jsonView{out: s.Out}}}
	case Markdown:
		return &FleetPlanMarkdown{humanView: newHumanView(s)}
	default:
		return &FleetPlanHuman{newHumanView(s)}
	}
}

// FleetPlanFor is NewFleetPlan for a command that began with plan view p
// (it learns the target is a fleet only once the configuration is read):
// the diagnostics p collected for a JSON document carry over, and p will
// write nothing.
func FleetPlanFor(p Plan, t Type, s Streams) FleetPlan {
	v := NewFleetPlan(t, s)
	if pj, ok := p.(*PlanJSON); ok {
		if fj, ok := v.(*FleetPlanJSON); ok {
			fj.diags = append(fj.diags, pj.diags...)
			pj.done = true
		}
	}
	return v
}

// FleetPlanHuman prints a fleet plan for a terminal.
type FleetPlanHuman struct{ humanView }

// Plan prints the target, then each group: its count and names, and its
// plan (unreachable and missing databases: why, per database), then the
// fleet's summary line.
func (v *FleetPlanHuman) Plan(r FleetReport) {
	r.Target, r.Project = clean(r.Target), clean(r.Project)
	st := v.out
	var b strings.Builder
	b.WriteString(targetLine(st, r.Target) + "\n\n")
	for _, g := range r.Result.Groups {
		b.WriteString(st.Heading.Render("== "+groupTitle(g)+": ") + Names(g.Databases, FleetNames) + "\n")
		switch g.Status {
		case fleet.StatusUnreachable, fleet.StatusMissing:
			b.WriteString(renderLines(st.Muted, indent(groupErrors(r.Result, g), "  ")) + "\n\n")
			continue
		case fleet.StatusCreate:
			b.WriteString("  " + st.Create.String() + " create database\n")
		}
		if g.Plan == nil || Summarize(g.Plan).Empty() {
			b.WriteString(renderNotes(st, g.Plan))
			if g.Plan == nil || len(g.Plan.Notes) == 0 {
				b.WriteString("\n")
			}
			continue
		}
		for _, mg := range groupByModel(g.Plan.Steps) {
			b.WriteString(indent(st.Heading.Render(mg.model), "  ") + "\n")
			for _, s := range mg.steps {
				b.WriteString(indent(renderStep(st, s), "  ") + "\n")
			}
		}
		b.WriteString(renderNotes(st, g.Plan))
		b.WriteString("\n")
	}
	line := FleetLine(r.Result)
	if c := r.Result.Count(); c[fleet.StatusChanges]+c[fleet.StatusCreate]+c[fleet.StatusBlocked]+c[fleet.StatusUnreachable]+c[fleet.StatusMissing] == 0 {
		b.WriteString(st.Success.Render(line) + "\n")
	} else {
		b.WriteString(st.Summary.Render(line) + "\n")
	}
	v.printf("%s", b.String())
}

// groupTitle is "312 databases to change", "1 database blocked".
func groupTitle(g *fleet.Group) string {
	n := plural(len(g.Databases), "database", "databases")
	switch g.Status {
	case fleet.StatusChanges:
		return n + " to change"
	case fleet.StatusCreate:
		return n + " to create"
	default:
		return n + " " + string(g.Status)
	}
}

// groupErrors lists why each database of an unreachable or missing group
// has no plan, the first FleetNames of them.
func groupErrors(r *fleet.Result, g *fleet.Group) string {
	var lines []string
	byName := make(map[string]string, len(g.Databases))
	for _, d := range r.Databases {
		if d.Status == g.Status {
			byName[d.Database.Name] = d.Error
		}
	}
	for i, n := range g.Databases {
		if i == FleetNames {
			lines = append(lines, fmt.Sprintf("and %d more", len(g.Databases)-FleetNames))
			break
		}
		lines = append(lines, n+": "+clean(byName[n]))
	}
	return strings.Join(lines, "\n")
}

// Names is the first max names, then "and N more".
func Names(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

// FleetLine is the fleet's summary line: "Fleet: 7 databases: 2 to
// change, 1 blocked, 1 unreachable, 1 missing, 2 current."
func FleetLine(r *fleet.Result) string {
	c := r.Count()
	var parts []string
	for _, s := range []fleet.Status{fleet.StatusChanges, fleet.StatusCreate, fleet.StatusBlocked, fleet.StatusUnreachable, fleet.StatusMissing, fleet.StatusCurrent} {
		if c[s] == 0 {
			continue
		}
		switch s {
		case fleet.StatusChanges:
			parts = append(parts, fmt.Sprintf("%d to change", c[s]))
		case fleet.StatusCreate:
			parts = append(parts, fmt.Sprintf("%d to create", c[s]))
		default:
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	if len(parts) == 0 {
		return "Fleet: no databases."
	}
	return "Fleet: " + plural(len(r.Databases), "database", "databases") + ": " + strings.Join(parts, ", ") + "."
}

// StepsLine is a plan's steps on one line: "+ create table item, + create
// index item_by_sku", at most max of them, then "and N more". Blocked
// steps come first, so a cut line still says why a database is blocked.
func StepsLine(p *planner.Plan, max int) string {
	if p == nil {
		return ""
	}
	steps := make([]planner.Step, 0, len(p.Steps))
	steps = append(steps, p.Blocked()...)
	for _, s := range p.Steps {
		if s.Action != planner.Blocked {
			steps = append(steps, s)
		}
	}
	var parts []string
	for i, s := range steps {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(steps)-max))
			break
		}
		part := markdownSymbol(s.Action) + " " + actionLabel(s.Action) + " " + s.Target
		if s.Code != "" {
			part = markdownSymbol(s.Action) + " " + s.Code + " " + s.Target
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// fleetJSON is what the JSON views of a fleet (plan, drift) share.
type fleetJSON struct{ jsonView }

// Diagnostics collects diagnostics for the document.
func (v *fleetJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// Error writes {format_version, error: {message}, diagnostics}.
func (v *fleetJSON) Error(err error) { v.writeError(err) }

// fleetCounts is the databases of each status, by status.
func fleetCounts(r *fleet.Result) map[string]int {
	out := map[string]int{}
	for s, n := range r.Count() {
		out[string(s)] = n
	}
	return out
}

func newJSONFleetMember(d *fleet.DatabasePlan) jsonFleetMember {
	return jsonFleetMember{Name: d.Database.Name, Status: string(d.Status), Group: d.Group, Error: d.Error}
}

// FleetPlanJSON writes a fleet plan as one JSON document.
type FleetPlanJSON struct{ fleetJSON }

type fleetDoc struct {
	FormatVersion string       `json:"format_version"`
	Target        Target       `json:"target"`
	Fleet         jsonFleet    `json:"fleet"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}

type jsonFleet struct {
	Databases int               `json:"databases"`
	Counts    map[string]int    `json:"counts"`
	Groups    []jsonFleetGroup  `json:"groups"`
	Members   []jsonFleetMember `json:"members"`
}

type jsonFleetGroup struct {
	Status    string    `json:"status"`
	Count     int       `json:"count"`
	Databases []string  `json:"databases"`
	Plan      *jsonPlan `json:"plan,omitempty"`
	Summary   *Summary  `json:"summary,omitempty"`
}

type jsonFleetMember struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Group  int    `json:"group"`
	Error  string `json:"error,omitempty"`
}

// Plan writes {format_version, target, fleet: {databases, counts, groups:
// [{status, count, databases, plan, summary}], members: [{name, status,
// group, error}]}, diagnostics}; a member's group indexes groups.
func (v *FleetPlanJSON) Plan(r FleetReport) {
	if v.done {
		return
	}
	v.done = true
	writeJSON(v.out, fleetDoc{FormatVersion: FormatVersion, Target: r.Target, Fleet: newJSONFleet(r.Result), Diagnostics: jsonDiagnostics(v.diags)})
}

func newJSONFleet(r *fleet.Result) jsonFleet {
	f := jsonFleet{Databases: len(r.Databases), Counts: fleetCounts(r), Groups: []jsonFleetGroup{}, Members: make([]jsonFleetMember, 0, len(r.Databases))}
	for _, g := range r.Groups {
		jg := jsonFleetGroup{Status: string(g.Status), Count: len(g.Databases), Databases: g.Databases}
		if g.Plan != nil {
			sum := Summarize(g.Plan)
			jg.Plan, jg.Summary = newJSONPlan(g.Plan), &sum
		}
		f.Groups = append(f.Groups, jg)
	}
	for _, d := range r.Databases {
		f.Members = append(f.Members, newJSONFleetMember(d))
	}
	return f
}

// FleetPlanMarkdown writes a fleet plan as a pull-request comment: a
// table of the groups, then each group's steps.
type FleetPlanMarkdown struct {
	humanView
	Scope func() (project, env string)
}

// Plan writes the comment, cut to fit one GitHub comment.
func (v *FleetPlanMarkdown) Plan(r FleetReport) {
	r.Target, r.Project = clean(r.Target), clean(r.Project)
	var b strings.Builder
	b.WriteString(CommentMarker(r.Project, r.Target.Environment) + "\n### dmplan plan (fleet)\n\n")
	fmt.Fprintf(&b, "Environment `%s` · backend `%s` · %s\n\n", mdCode(r.Target.Environment), mdCode(r.Target.Backend), mdCell(r.Target.Database))
	fmt.Fprintf(&b, "**%s**\n\n", FleetLine(r.Result))
	b.WriteString("| Databases | Status | Plan |\n|---:|---|---|\n")
	for _, g := range r.Result.Groups {
		what := ""
		switch g.Status {
		case fleet.StatusUnreachable, fleet.StatusMissing:
			what = strings.ReplaceAll(groupErrors(r.Result, g), "\n", "; ")
		case fleet.StatusCreate:
			what = "`+` create database; " + StepsLine(g.Plan, 6)
		default:
			what = StepsLine(g.Plan, 6)
			if what == "" {
				what = "no changes"
			}
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", len(g.Databases), mdCell(string(g.Status)), mdCell(what))
	}
	b.WriteString("\n")
	for i, g := range r.Result.Groups {
		if g.Plan == nil || len(g.Plan.Steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "<details><summary>Group %d: %s: %s</summary>\n\n", i+1, mdCell(groupTitle(g)), mdCell(Names(g.Databases, FleetNames)))
		{
			b.WriteString("| | Action | Target | Model | Why |\n|:-:|---|---|---|---|\n")
			for _, s := range g.Plan.Steps {
				why := withEstimate(s)
				if s.Code != "" {
					why = s.Code + " " + s.Reason
				}
				fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", markdownSymbol(s.Action), actionLabel(s.Action), mdCode(s.Target), mdCell(s.Model), mdCell(why))
			}
			b.WriteString("\n")
		}
		b.WriteString("</details>\n\n")
		if b.Len() > markdownBudget-512 {
			fmt.Fprintf(&b, "… %d more groups not shown (the comment would pass GitHub's size limit); `dmplan plan -json` lists them.\n", len(r.Result.Groups)-i-1)
			break
		}
	}
	v.printf("%s", b.String())
}
