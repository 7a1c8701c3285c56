package planner

import (
	"slices"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// WithTargets limits the plan to the named models, as Terraform's -target
// does: only their namespaces, tables, columns, indexes, backfills and
// seeds are planned, and only their blocked changes are reported, so one
// blocked model does not hold back the others. The other models are still
// declared (their tables are not "unmanaged", their namespaces stay in the
// fingerprint's scope); they are just left as they are. The gateway Worker
// binds every model's namespace, so a targeted plan never deploys or
// updates it. The plan records the targets (Plan.Targets). No names, or
// nil, plan every model.
func WithTargets(models []string) Option {
	return func(o *options) { o.targets = slices.Clone(models) }
}

// targeted reports whether the plan covers the model.
func (d *differ) targeted(model string) bool {
	return len(d.targets) == 0 || slices.Contains(d.targets, model)
}

// anyTargeted reports whether the plan covers one of the models.
func (d *differ) anyTargeted(models []string) bool {
	return slices.ContainsFunc(models, d.targeted)
}

// skipModel claims a model's table without planning it: a targeted plan
// leaves the model alone, but its table is still declared.
func (d *differ) skipModel(m *hclspec.Model) {
	lower := strings.ToLower(m.D1.Table)
	if _, ok := d.claimed[lower]; !ok {
		d.claimed[lower] = m.Name
	}
}

// keepTargeted drops the steps of models outside the targets: a last guard
// for steps planned from something other than a model's own declaration.
func (d *differ) keepTargeted(steps []Step) []Step {
	if len(d.targets) == 0 {
		return steps
	}
	return slices.DeleteFunc(steps, func(s Step) bool { return s.Model != "" && !d.targeted(s.Model) })
}
