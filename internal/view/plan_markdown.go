package view

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/planner"
)

// MaxMarkdown is GitHub's limit on the size of a comment body. The
// markdown view keeps every comment under it.
const MaxMarkdown = 65536

// markdownBudget leaves room for a CI job's own wrapping around the body.
const markdownBudget = MaxMarkdown - 1536

// CommentMarker is the first line of every markdown comment for the
// project's environment, so a CI job can find and update its earlier
// comment instead of adding another:
//
//	<!-- dmplan plan project=blog env=production -->
//
// Each project and environment has its own marker, so the comments of two
// environments (or two projects planned in one pull request) never replace
// each other. It holds only the two names, which are not secret, and is
// the same for every plan of them. Bytes outside [A-Za-z0-9._-] are
// written as %XX, so no name can end the HTML comment or make two
// markers equal.
func CommentMarker(project, env string) string {
	return "<!-- dmplan plan project=" + markerName(project) + " env=" + markerName(env) + " -->"
}

func markerName(s string) string {
	if s == "" {
		return "%00" // not a name anyone can write: an unknown one
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// PlanMarkdown writes a plan as a pull-request comment. Diagnostics and
// errors go to stderr as for humans, and an error also becomes a short
// comment on stdout, so the pull request says why there is no plan.
type PlanMarkdown struct {
	humanView
	diags hcl.Diagnostics
	// Scope names the project and environment of the comment marker
	// (see CommentMarker), for a comment written before the plan's report
	// exists: an error. The command sets it; it may be nil.
	Scope func() (project, env string)
}

func (v *PlanMarkdown) marker() string {
	if v.Scope == nil {
		return CommentMarker("", "")
	}
	return CommentMarker(v.Scope())
}

// Diagnostics prints diagnostics on stderr and keeps them for an error
// comment.
func (v *PlanMarkdown) Diagnostics(diags hcl.Diagnostics) {
	v.humanView.Diagnostics(diags)
	v.diags = append(v.diags, diags...)
}

// Error prints the error on stderr and writes a comment saying the plan
// failed, with the diagnostics as text.
func (v *PlanMarkdown) Error(err error) {
	v.humanView.Error(err)
	err = escapeErr(err)
	var b strings.Builder
	b.WriteString(v.marker() + "\n### dmplan plan failed\n\n")
	fmt.Fprintf(&b, "**Error:** %s\n\n", mdCell(err.Error()))
	if len(v.diags) > 0 {
		var text strings.Builder
		_ = v.s.WriteDiagnostics(&text, v.diags, false)
		body := truncate(strings.TrimRight(text.String(), "\n"), markdownBudget-b.Len()-100)
		fence := mdFence(body)
		fmt.Fprintf(&b, "%s\n%s\n%s\n", fence, body, fence)
	}
	v.printf("%s", b.String())
}

// truncate cuts s to at most n bytes at a line boundary, saying so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:max(0, n-40)], "\n")
	if cut < 0 {
		cut = 0
	}
	return s[:cut] + "\n… (truncated)"
}

// Plan writes the comment: the full plan, or a summary when the full plan
// would not fit in one GitHub comment.
func (v *PlanMarkdown) Plan(r PlanReport) {
	r = clean(r)
	v.printf("%s", RenderMarkdown(r.Project, r.Target, r.Plan))
}

// RenderMarkdown renders the plan of the project as a pull-request comment
// of at most MaxMarkdown bytes (so also characters).
func RenderMarkdown(project string, t Target, p *planner.Plan) string {
	project, t, p = clean(project), clean(t), clean(p)
	full := markdownFull(project, t, p)
	if len(full) <= markdownBudget {
		return full
	}
	return markdownSummary(project, t, p, len(full))
}

func markdownHeader(b *strings.Builder, project string, t Target, p *planner.Plan) {
	b.WriteString(CommentMarker(project, t.Environment) + "\n### dmplan plan\n\n")
	fmt.Fprintf(b, "Environment `%s` · backend `%s` · database `%s`", mdCode(t.Environment), mdCode(t.Backend), mdCode(t.Database))
	if t.Account != "" {
		fmt.Fprintf(b, " · account `%s`", mdCode(t.Account))
	}
	b.WriteString("\n\n")
	if p != nil && len(p.Targets) > 0 {
		b.WriteString("> [!WARNING]\n> " + mdCell(strings.ReplaceAll(TargetingWarning(p.Targets), "\n", " ")) + "\n\n")
	}
	fmt.Fprintf(b, "**%s**\n\n", Summarize(p).PlanLine())
}

func markdownFooter(b *strings.Builder, p *planner.Plan) {
	if p == nil {
		return
	}
	fmt.Fprintf(b, "<sub>plan `%s` · live schema fingerprint `%s`</sub>\n", mdCode(p.ID), mdCode(shortFingerprint(p.Fingerprint)))
}

func markdownFull(project string, t Target, p *planner.Plan) string {
	var b strings.Builder
	markdownHeader(&b, project, t, p)
	sum := Summarize(p)
	if !sum.Empty() {
		b.WriteString("| | Action | Target | Model | Why |\n|:-:|---|---|---|---|\n")
		for _, s := range p.Steps {
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n",
				markdownSymbol(s.Action), actionLabel(s.Action), mdCode(s.Target), mdCell(s.Model), mdCell(withEstimate(s)))
		}
		b.WriteString("\n")
	}
	for _, s := range p.Steps {
		if s.Worker != nil {
			b.WriteString(markdownWorker(s))
		}
	}
	if sum.Blocked > 0 {
		fmt.Fprintf(&b, "#### Blocked (%d)\n\nThese changes are never applied. Each needs a person:\n\n", sum.Blocked)
		for _, s := range p.Blocked() {
			b.WriteString(markdownBlocked(s))
		}
		b.WriteString("\n")
	}
	if p != nil && len(p.Notes) > 0 {
		b.WriteString("#### Notes\n\nReported, never changed:\n\n")
		for _, n := range p.Notes {
			fmt.Fprintf(&b, "- **%s** `%s`: %s\n", mdCell(n.Code), mdCode(n.Target), mdCell(n.Message))
		}
		b.WriteString("\n")
	}
	if sql := planSQL(p); len(sql) > 0 {
		body := strings.Join(sql, "\n")
		fence := mdFence(body)
		fmt.Fprintf(&b, "<details>\n<summary>SQL (%s)</summary>\n\n%ssql\n%s\n%s\n\n</details>\n\n",
			plural(len(sql), "statement", "statements"), fence, body, fence)
	}
	markdownFooter(&b, p)
	return b.String()
}

// markdownSummary is the fallback for plans too large for one comment:
// counts per action, then as many blocked steps as fit.
func markdownSummary(project string, t Target, p *planner.Plan, fullSize int) string {
	var b strings.Builder
	markdownHeader(&b, project, t, p)
	fmt.Fprintf(&b, "> [!NOTE]\n> The full plan (%s, %d characters) is over GitHub's %d-character comment limit, so this comment shows counts only. Run `dmplan show PLANFILE` or `dmplan plan` to see every step.\n\n",
		plural(len(p.Steps), "step", "steps"), fullSize, MaxMarkdown)
	counts := p.Counts()
	b.WriteString("| Action | Steps |\n|---|--:|\n")
	for _, a := range []planner.Action{planner.CreateTable, planner.AddColumn, planner.CreateIndex,
		planner.CreateNamespace, planner.Backfill, planner.FillKV, planner.Seed, planner.DeployWorker, planner.UpdateWorker, planner.Blocked} {
		if counts[a] > 0 {
			fmt.Fprintf(&b, "| %s | %d |\n", actionLabel(a), counts[a])
		}
	}
	b.WriteString("\n")
	blocked := p.Blocked()
	if len(blocked) > 0 {
		fmt.Fprintf(&b, "#### Blocked (%d)\n\n", len(blocked))
		var footer strings.Builder
		markdownFooter(&footer, p)
		reserve := footer.Len() + 200
		for i, s := range blocked {
			item := markdownBlocked(s)
			if b.Len()+len(item)+reserve > markdownBudget {
				fmt.Fprintf(&b, "- …and %d more blocked %s; see the full plan.\n", len(blocked)-i, pluralWord(len(blocked)-i, "step", "steps"))
				break
			}
			b.WriteString(item)
		}
		b.WriteString("\n")
	}
	markdownFooter(&b, p)
	return b.String()
}

func markdownBlocked(s planner.Step) string {
	item := fmt.Sprintf("- **%s** `%s`: %s\n", mdCell(s.Code), mdCode(s.Target), mdCell(s.Reason))
	if s.Hint != "" {
		item += fmt.Sprintf("  - What to do: %s\n", mdCell(s.Hint))
	}
	return item
}

func markdownSymbol(a planner.Action) string {
	switch a {
	case planner.CreateTable, planner.CreateIndex, planner.CreateNamespace, planner.DeployWorker:
		return "+"
	case planner.AddColumn, planner.UpdateWorker:
		return "~"
	case planner.Blocked:
		return "!"
	default:
		return "»"
	}
}

// planSQL is every statement of the plan with a terminating semicolon.
func planSQL(p *planner.Plan) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, s := range p.Steps {
		for _, q := range s.SQL {
			q = prettySQL(strings.TrimSpace(q))
			if !strings.HasSuffix(q, ";") {
				q += ";"
			}
			out = append(out, q)
		}
	}
	return out
}

// mdCell makes text safe inside a table cell or list item.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	return s
}

// mdCode makes text safe inside single backticks.
func mdCode(s string) string {
	s = strings.ReplaceAll(mdCell(s), "`", "'")
	return strings.ReplaceAll(s, "&lt;", "<")
}

// mdFence returns a backtick fence longer than any backtick run in body.
func mdFence(body string) string {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func shortFingerprint(f string) string {
	if len(f) > 12 {
		return f[:12]
	}
	return f
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// markdownWorker lists a worker step's bindings and changes. Secrets
// appear only as the variable they come from.
func markdownWorker(s planner.Step) string {
	var b strings.Builder
	w := s.Worker
	fmt.Fprintf(&b, "#### Worker `%s` (%s)\n\nGateway version `%s`, served on %s.\n\n", mdCode(w.Script), actionLabel(s.Action), mdCode(w.Version), mdCell(w.Served))
	if len(w.Changes) > 0 {
		b.WriteString("Changes:\n\n")
		for _, c := range w.Changes {
			fmt.Fprintf(&b, "- %s\n", mdCell(c))
		}
		b.WriteString("\n")
	}
	b.WriteString("| Binding | Type | Binds |\n|---|---|---|\n")
	for _, bd := range w.Bindings {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", mdCode(bd.Name), mdCell(bd.Type), mdCell(bd.Target))
	}
	b.WriteString("\n")
	return b.String()
}
