package planner

import (
	"fmt"
	"strconv"
	"strings"
)

// backfills plans one Backfill step per existing table that holds rows and
// gains synced columns: the new columns are NULL in every existing row
// until they are filled from the KV objects, and queries on them would
// silently miss those rows. The step runs after the table's AddColumn
// steps and before the indexes on existing tables, so an index on a new
// column is built on filled rows.
//
// Backfills an interrupted apply left unfinished (WithPendingBackfills)
// are planned again, so the next apply resumes them.
func (d *differ) backfills(pending []PendingBackfill) {
	type group struct {
		model, table string
		cols         []string
	}
	var order []string
	groups := map[string]*group{}
	for _, s := range d.addSteps {
		table, col, ok := strings.Cut(s.Target, ".")
		if !ok {
			continue
		}
		live := d.byName[strings.ToLower(table)]
		if live == nil || (!live.HasRows && live.Rows <= 0) {
			continue
		}
		if m := d.spec.Model(s.Model); m != nil && m.D1Only() {
			continue // no KV objects: the rows keep the column's default, as ALTER TABLE gives them
		}
		g := groups[table]
		if g == nil {
			g = &group{model: s.Model, table: table}
			groups[table] = g
			order = append(order, table)
		}
		g.cols = append(g.cols, col)
	}
	planned := map[string]bool{}
	for _, table := range order {
		g := groups[table]
		if d.noObjectsToFillFrom(g.model, g.table+"."+strings.Join(g.cols, ",")) {
			continue
		}
		rows := "the existing rows"
		if live := d.byName[strings.ToLower(table)]; live != nil && live.Rows > 0 {
			rows = thousands(live.Rows) + " existing " + plural(int(live.Rows), "row", "rows")
		}
		planned[g.table+"."+strings.Join(g.cols, ",")] = true
		d.backfillSteps = append(d.backfillSteps, Step{
			Action: Backfill,
			Model:  g.model,
			Target: g.table + "." + strings.Join(g.cols, ","),
			Reason: fmt.Sprintf("%s of %s have no %s yet: fill %s from the KV objects of model %s",
				rows, g.table, strings.Join(g.cols, ", "), plural(len(g.cols), "it", "them"), g.model),
			Safe: true,
		})
	}
	d.resumeBackfills(pending, planned)
}

// PendingBackfill is a backfill an interrupted apply left unfinished, as
// runtime's Datastore.PendingBackfills reads it from the target.
type PendingBackfill struct {
	Target string `json:"target"` // "page_meta.title,status"
	Model  string `json:"model"`
	RunID  string `json:"run_id"` // the plan that started it
	Done   int64  `json:"done"`   // records checked so far
	// RunningBy names who holds the apply lock when that apply is running
	// the backfill now (the lock was taken before its last progress);
	// empty when an apply that stopped left it unfinished.
	RunningBy string `json:"running_by,omitempty"`
}

// WithPendingBackfills gives Diff the unfinished backfills of the target;
// each becomes a Backfill step that resumes where it stopped.
func WithPendingBackfills(p []PendingBackfill) Option {
	return func(o *options) { o.pending = p }
}

func (d *differ) resumeBackfills(pending []PendingBackfill, planned map[string]bool) {
	for _, p := range pending {
		table, _, ok := strings.Cut(p.Target, ".")
		if !ok || planned[p.Target] || d.spec.Model(p.Model) == nil || !d.targeted(p.Model) || d.byName[strings.ToLower(table)] == nil {
			continue
		}
		if d.noObjectsToFillFrom(p.Model, p.Target) {
			planned[p.Target] = true
			continue
		}
		planned[p.Target] = true
		reason := fmt.Sprintf("resume the backfill of %s that plan %s left unfinished after %s records", p.Target, p.RunID, thousands(p.Done))
		if p.RunningBy != "" {
			reason = fmt.Sprintf("the backfill of %s is running now, not abandoned (plan %s, applied by %s, %s records so far): once its lock is free, apply finishes only what that run leaves unfinished",
				p.Target, p.RunID, p.RunningBy, thousands(p.Done))
		}
		d.backfillSteps = append(d.backfillSteps, Step{
			Action: Backfill,
			Model:  p.Model,
			Target: p.Target,
			Reason: reason,
			Safe:   true,
		})
	}
}

// thousands formats n with comma separators: 12,408.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// noObjectsToFillFrom reports whether the KV namespace of model is one this
// plan creates: it holds no objects, so a backfill of target (table.cols)
// would read nothing, and none is offered. A note says why the existing
// rows keep the columns NULL.
func (d *differ) noObjectsToFillFrom(model, target string) bool {
	m := d.spec.Model(model)
	if m == nil || m.KV.Namespace == "" {
		return false
	}
	title := d.spec.NamespaceTitle(d.env, m.KV.Namespace)
	for _, s := range d.nsSteps {
		if s.Target != title {
			continue
		}
		table, cols, _ := strings.Cut(target, ".")
		d.note(NoteNoBackfillSource, target,
			fmt.Sprintf("table %s holds rows, but the KV namespace %s of model %s is created by this plan and holds no objects to fill %s from: the existing rows keep %s NULL (if the records live in another namespace, check kv.namespace and the environment)",
				table, title, model, strings.ReplaceAll(cols, ",", ", "), plural(strings.Count(cols, ",")+1, "it", "them")))
		return true
	}
	return false
}
