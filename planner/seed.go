package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// SeedStatus is what the live target says about one seed. The planner does
// no I/O, so the caller computes it beforehand (runtime's Seeds.Status reads
// every seed's state in one D1 round trip) and passes it with
// WithSeedStatus, keyed by SeedKey.
type SeedStatus struct {
	// Records is how many records the seed would write now: 0 when its
	// condition is not met or the stored record already holds its data.
	Records int `json:"records"`
	// Reason says why, in words that never hold a seeded value:
	// "no users row matches email", "table users has rows".
	Reason string `json:"reason"`
	// Unset names the environment variables the seed reads that are not
	// set where the plan is made: apply needs them. What can be decided
	// without them is decided (Records, Reason); see Unknown.
	Unset []string `json:"unset,omitempty"`
	// Unknown is set when whether the seed would write depends on an
	// unset variable (its identity, or a compared field, reads one): it
	// is planned as a seed step whose status is unknown, which counts as
	// a change for -detailed-exitcode, and apply checks it then.
	Unknown bool `json:"unknown,omitempty"`
}

// SeedKey is the key of a seed in the WithSeedStatus map and the target of
// its step: "USER.admin".
func SeedKey(model, name string) string { return model + "." + name }

// WithSeedStatus gives Diff the live state of the spec's seeds, keyed by
// SeedKey. A seed whose table does not exist yet is planned without one.
func WithSeedStatus(st map[string]SeedStatus) Option {
	return func(o *options) { o.seeds = st }
}

// seeds plans one Seed step per seed that would write records, in the
// spec's declaration order. A seed whose table the plan creates always
// runs (a new table is empty and holds no match). A seed of an existing
// table runs when its status says so; without a status it is not planned
// and a note says it was not checked.
func (d *differ) seeds(status map[string]SeedStatus) {
	for _, s := range d.spec.Seeds {
		if s == nil {
			continue
		}
		m := d.spec.Model(s.Model)
		if m == nil || m.D1.Table == "" || !d.targeted(m.Name) {
			continue
		}
		key := SeedKey(s.Model, s.Name)
		st, ok := status[key]
		if !ok {
			if _, exists := d.byName[strings.ToLower(m.D1.Table)]; exists {
				d.note(NoteSeedUnchecked, key, "seed "+key+" was not checked against the target (no seed status given), so it is not planned")
				continue
			}
			st = SeedStatus{Records: 1, Reason: "table " + m.D1.Table + " is created by this plan"}
		}
		if _, exists := d.byName[strings.ToLower(m.D1.Table)]; ok && !exists && st.Unknown {
			// A new table holds no match: the seed runs, unknown or not.
			st = SeedStatus{Records: 1, Reason: "table " + m.D1.Table + " is created by this plan", Unset: st.Unset}
		}
		if st.Records <= 0 && !st.Unknown {
			continue
		}
		if d.refilledBy(m.D1.Table) {
			st.Reason = "table " + m.D1.Table + " is refilled from KV first, then the seed's condition is checked again"
		}
		d.seedSteps = append(d.seedSteps, Step{
			Action: Seed,
			Model:  s.Model,
			Target: key,
			Reason: SeedReason(s.Condition, st),
			Safe:   true,
		})
	}
}

// SeedReason is the plan line of a seed step: "1 record if missing: no
// users row matches email".
func SeedReason(condition string, st SeedStatus) string {
	if st.Unknown && st.Records <= 0 {
		out := fmt.Sprintf("status unknown (%s): %s not set; apply needs %s",
			strings.Trim(conditionPhrase(condition), "()"), strings.Join(st.Unset, ", "), plural(len(st.Unset), "it", "them"))
		if st.Reason != "" {
			out += " (" + st.Reason + ")"
		}
		return out
	}
	out := fmt.Sprintf("%d record%s %s", st.Records, plural(st.Records, "", "s"), conditionPhrase(condition))
	if st.Reason != "" {
		out += ": " + st.Reason
	}
	if len(st.Unset) > 0 {
		out += "; apply needs " + strings.Join(st.Unset, ", ") + " (not set here)"
	}
	return out
}

func conditionPhrase(c string) string {
	switch c {
	case hclspec.SeedIfEmpty:
		return "if empty"
	case hclspec.SeedIfMissing:
		return "if missing"
	case hclspec.SeedAlways:
		return "(always)"
	}
	return c
}
