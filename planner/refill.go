package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// D1 is a projection of KV: a model's table that does not exist while its
// KV namespace does (dropped by hand, or lost) is created empty by the
// plan, but the namespace may still hold the model's objects. The plan
// then refills the new table from KV in a Backfill step, so apply does not
// leave every record missing from D1 until someone runs reconcile -fix.
//
// The planner does no I/O: RefillPeeks says which namespaces to look at,
// the caller lists each with a limit of 1 (one KV request per namespace,
// only for a table the plan creates in an existing namespace), and passes
// what it found with WithStoredObjects.

// RefillPeek is a model whose table the plan would create while its KV
// namespace exists: whether the namespace holds objects under Prefix
// decides whether the plan refills the table.
type RefillPeek struct {
	Model     string
	Namespace string // the namespace title
	Prefix    string // the model's key prefix ("user:")
}

// RefillPeeks returns the models whose table is missing from live while
// their KV namespace exists there.
func RefillPeeks(spec *hclspec.Spec, env string, live *state.Schema) []RefillPeek {
	if spec == nil || live == nil {
		return nil
	}
	var out []RefillPeek
	for _, m := range spec.Models {
		if m == nil || m.D1.Table == "" || m.KV.Namespace == "" || live.Table(m.D1.Table) != nil {
			continue
		}
		title := spec.NamespaceTitle(env, m.KV.Namespace)
		if live.Namespace(title) == nil {
			continue
		}
		out = append(out, RefillPeek{Model: m.Name, Namespace: title, Prefix: m.KV.Prefix()})
	}
	return out
}

// WithStoredObjects says which models' KV namespaces hold objects, by
// model name (see RefillPeeks). A table the plan creates for such a model
// is refilled from KV in the same plan.
func WithStoredObjects(models map[string]bool) Option {
	return func(o *options) { o.stored = models }
}

// refills plans a Backfill step for every table this plan creates whose
// model's objects are in KV. The step names every column but the primary
// key: the backfill writes each missing row whole.
func (d *differ) refills(stored map[string]bool) {
	for _, s := range d.createSteps {
		if s.Action != CreateTable || !stored[s.Model] {
			continue
		}
		m := d.spec.Model(s.Model)
		if m == nil || d.live.Table(m.D1.Table) != nil {
			continue
		}
		var cols []string
		for _, f := range m.Columns() {
			if f.Name != m.PrimaryKey {
				cols = append(cols, f.Name)
			}
		}
		if len(cols) == 0 {
			cols = []string{m.PrimaryKey}
		}
		title := d.spec.NamespaceTitle(d.env, m.KV.Namespace)
		d.refilled = append(d.refilled, strings.ToLower(m.D1.Table))
		d.backfillSteps = append(d.backfillSteps, Step{
			Action: Backfill,
			Model:  m.Name,
			Target: m.D1.Table + "." + strings.Join(cols, ","),
			Reason: fmt.Sprintf("table %s is created by this plan while KV namespace %s holds model %s's objects: refill it from KV (every record gets its row)",
				m.D1.Table, title, m.Name),
			Safe: true,
		})
	}
}

// refilledBy reports whether this plan refills table from KV.
func (d *differ) refilledBy(table string) bool {
	for _, t := range d.refilled {
		if t == strings.ToLower(table) {
			return true
		}
	}
	return false
}

// Refills reports whether s is a Backfill step that refills from KV a
// table the same plan creates (see RefillPeeks).
func (p *Plan) Refills(s Step) bool {
	if p == nil || s.Action != Backfill {
		return false
	}
	table, _, _ := strings.Cut(s.Target, ".")
	for _, c := range p.Steps {
		if c.Action == CreateTable && c.Target == table {
			return true
		}
	}
	return false
}
