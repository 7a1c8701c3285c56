package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// FillKVPrefix starts the progress target of a FillKV step in the
// backfill progress table ("fill_kv:users"), which a backfill's target
// ("table.cols") never does.
const FillKVPrefix = "fill_kv:"

// FillKVPage is how many rows a FillKV step copies per page (one
// progress record each); operator.DefaultFillKVPage.
const FillKVPage = 500

// FillKVProgressTarget is the progress target of the FillKV step of table.
func FillKVProgressTarget(table string) string { return FillKVPrefix + table }

// WithFillKV makes Diff plan FillKV steps: for callers whose apply can run
// them (applier.Options.KVFiller), as dmplan plan and apply do. Without
// it a table that would be copied is left as before this step existed.
func WithFillKV() Option { return func(o *options) { o.fillKV = true } }

// fillKVs plans one FillKV step per model that keeps its records in KV
// and whose table holds rows while its KV namespace is created by this
// plan: a model that was D1-only (storage = "d1", what `dmplan import`
// writes) and now declares a kv block. The step copies every row into a
// KV object under the model's key pattern, so reads through KV find the
// records D1 already holds. FillKV steps an interrupted apply left
// unfinished (pending, read from the progress table) are planned again.
func (d *differ) fillKVs(pending []PendingBackfill) {
	planned := map[string]bool{}
	created := map[string]bool{}
	for _, s := range d.nsSteps {
		created[s.Target] = true
	}
	for _, m := range d.models() {
		if m == nil || m.D1Only() || m.KV.Namespace == "" || !d.targeted(m.Name) {
			continue
		}
		title := d.spec.NamespaceTitle(d.env, m.KV.Namespace)
		live := d.byName[strings.ToLower(m.D1.Table)]
		if !created[title] || live == nil || (!live.HasRows && live.Rows <= 0) {
			continue
		}
		if names := kvOnlyFields(m); len(names) > 0 {
			// The rows are not whole records: copying them would make
			// objects without these fields, which is wrong if the records
			// live elsewhere (a mistyped kv.namespace) and cannot be told
			// from a model that was D1-only. Say how to get the copy.
			d.note(NoteNoFillKV, m.D1.Table, fmt.Sprintf("table %s holds rows and model %s's KV namespace %s is created by this plan, but %s %s not %s, so the rows are not whole records and are not copied into KV objects (fill_kv). To give a D1-only model its KV side, apply the kv block first without %s (the plan then copies every row), and add %s after",
				m.D1.Table, m.Name, title, strings.Join(names, ", "), plural(len(names), "is", "are"), plural(len(names), "a column", "columns"),
				plural(len(names), "that field", "those fields"), plural(len(names), "it", "them")))
			continue
		}
		planned[m.D1.Table] = true
		rows := "every row"
		if live.Rows > 0 {
			rows = thousands(live.Rows) + " " + plural(int(live.Rows), "row", "rows")
		}
		d.fillSteps = append(d.fillSteps, Step{
			Action: FillKV,
			Model:  m.Name,
			Target: m.D1.Table,
			Reason: fmt.Sprintf("copy %s of %s into KV objects %s of namespace %s: model %s now keeps its records in KV (keys that already hold an object are left alone)",
				rows, m.D1.Table, m.KV.KeyPattern, title, m.Name),
			Safe: true,
		})
	}
	d.staleKVSides()
	for _, p := range pending {
		table, ok := strings.CutPrefix(p.Target, FillKVPrefix)
		if !ok || planned[table] || !d.targeted(p.Model) || d.byName[strings.ToLower(table)] == nil {
			continue
		}
		m := d.spec.Model(p.Model)
		if m == nil || m.D1Only() || m.KV.Namespace == "" || !strings.EqualFold(m.D1.Table, table) {
			continue
		}
		planned[table] = true
		reason := fmt.Sprintf("resume copying the rows of %s into KV objects %s, which plan %s left unfinished after %s rows",
			table, m.KV.KeyPattern, p.RunID, thousands(p.Done))
		if p.RunningBy != "" {
			reason = fmt.Sprintf("the copy of %s into KV is running now, not abandoned (plan %s, applied by %s, %s rows so far): once its lock is free, apply finishes only what that run leaves unfinished",
				table, p.RunID, p.RunningBy, thousands(p.Done))
		}
		d.fillSteps = append(d.fillSteps, Step{Action: FillKV, Model: m.Name, Target: m.D1.Table, Reason: reason, Safe: true})
	}
}

// kvOnlyFields names the fields of m that are not D1 columns (the
// runtime's own _auth aside).
func kvOnlyFields(m *hclspec.Model) []string {
	var names []string
	for _, f := range m.Fields {
		if !f.Synced && !f.KVOnly {
			names = append(names, f.Name)
		}
	}
	return names
}

// staleKVSides notes each D1-only model whose earlier KV side's namespace
// (the default one, named after the model) still exists and no model
// uses: its objects are no longer written, and a KV side added back later
// would find the namespace, so no fill_kv copies the rows again.
func (d *differ) staleKVSides() {
	used := map[string]bool{}
	for _, m := range d.spec.Models {
		if m != nil && m.KV.Namespace != "" {
			used[d.spec.NamespaceTitle(d.env, m.KV.Namespace)] = true
		}
	}
	live := map[string]bool{}
	for _, n := range d.live.Namespaces {
		if n != nil {
			live[n.Title] = true
		}
	}
	for _, m := range d.models() {
		if m == nil || !m.D1Only() || !d.targeted(m.Name) {
			continue
		}
		title := d.spec.NamespaceTitle(d.env, m.Name)
		if !live[title] || used[title] {
			continue
		}
		d.note(NoteStaleKVSide, title, fmt.Sprintf("model %s is D1-only, but KV namespace %s of its earlier KV side still exists: dmplan leaves it alone, and its objects are no longer written, so they go stale. Delete the namespace before giving %s a KV side again: the plan then creates it and copies every row; kept, no copy is planned and the runtime would read the stale objects",
			m.Name, title, m.Name))
	}
}
