package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/sqlnorm"
	"github.com/dmplan/dmplan/state"
)

// indexes plans the declared indexes of an existing table: create the
// missing ones whose columns exist after the plan, block changed ones, note
// live ones nobody declares.
func (d *differ) indexes(m *hclspec.Model, want, have, after *state.Table, available map[string]bool) {
	declared := map[string]bool{}
	for _, ix := range want.Indexes {
		declared[strings.ToLower(ix.Name)] = true
		if hi := have.Index(ix.Name); hi != nil {
			d.compareIndex(m, ix, hi)
			continue
		}
		if d.blockNameTaken(m, have.Name, ix) {
			continue
		}
		var missing []string
		for _, c := range usedColumns(ix) {
			if !available[strings.ToLower(c)] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			d.block(m, ix.Name, CodeIndexNeedsColumn,
				fmt.Sprintf("model %s declares index %s on %s%s, but this plan cannot add column %s", m.Name, ix.Name, have.Name, indexShape(ix), strings.Join(missing, ", ")),
				"resolve the blocked column first; the index follows in the next plan")
			continue
		}
		if filled := d.filledAtApply(have, ix); ix.Unique && len(filled) > 0 && (have.HasRows || have.Rows > 0) {
			d.block(m, ix.Name, CodeUniqueOnBackfill,
				fmt.Sprintf("unique index %s on %s%s cannot be checked before apply: this plan fills %s from the KV objects, whose values may repeat",
					ix.Name, have.Name, indexShape(ix), strings.Join(filled, ", ")),
				"apply once without the index (leave out the index block or unique = true), then add it back: the next plan checks the filled values for duplicates (DM112)")
			continue
		}
		if p, ok := uniqueProbe(have, ix); ok {
			d.probes = append(d.probes, p)
			if d.duplicates[ix.Name] {
				d.blockDuplicates(m, have, ix, p)
				continue
			}
		}
		d.indexSteps = append(d.indexSteps, indexStep(m, have.Name, ix))
		cp := *ix
		cp.Columns = append([]string(nil), ix.Columns...)
		after.Indexes = append(after.Indexes, &cp)
	}
	for _, hi := range have.Indexes {
		if !declared[strings.ToLower(hi.Name)] {
			d.note(NoteUnmanagedIndex, hi.Name,
				fmt.Sprintf("index %s on %s is not declared by model %s: kept, not managed", hi.Name, have.Name, m.Name))
		}
	}
}

// filledAtApply returns the columns of ix whose values the plan fills from
// the KV objects: those the live table have lacks (added, then
// backfilled) and those of a backfill an interrupted apply left, which the
// plan resumes. Their live values say nothing about duplicates.
func (d *differ) filledAtApply(have *state.Table, ix *state.Index) []string {
	pending := map[string]bool{}
	for _, p := range d.pending {
		table, cols, ok := strings.Cut(p.Target, ".")
		if !ok || !strings.EqualFold(table, have.Name) {
			continue
		}
		for _, c := range strings.Split(cols, ",") {
			pending[strings.ToLower(c)] = true
		}
	}
	var out []string
	for _, c := range usedColumns(ix) {
		if have.Column(c) == nil || pending[strings.ToLower(c)] {
			out = append(out, c)
		}
	}
	return out
}

// blockNameTaken blocks a declared index of table whose SQL name is held
// by another live table's index, or by a table: SQLite keeps one namespace
// for both, so CREATE INDEX would fail at apply.
func (d *differ) blockNameTaken(m *hclspec.Model, table string, ix *state.Index) bool {
	for _, t := range d.live.Tables {
		if t == nil || strings.EqualFold(t.Name, table) {
			continue
		}
		holder := ""
		if strings.EqualFold(t.Name, ix.Name) {
			holder = "a table"
		} else if t.Index(ix.Name) != nil {
			holder = "an index on table " + t.Name
		}
		if holder == "" {
			continue
		}
		d.block(m, ix.Name, CodeIndexChanged,
			fmt.Sprintf("model %s declares index %s on %s%s, but the name %s is taken by %s; SQLite names tables and indexes in one namespace", m.Name, ix.Name, table, indexShape(ix), ix.Name, holder),
			"give the index block a new label, or rename or drop what holds the name by hand if dmplan's index should have it")
		return true
	}
	return false
}

// desiredIndex returns the index an index block declares: its keys'
// expressions, collations and order, and its condition, normalized as
// inspection normalizes the live index (Keys nil when every key is a
// plain ascending column, as inspection leaves it).
func desiredIndex(ix *hclspec.Index) *state.Index {
	out := &state.Index{
		Name:    ix.Name,
		Columns: append([]string(nil), ix.Columns...),
		Unique:  ix.Unique,
		Where:   ix.Condition(),
	}
	plain := true
	keys := make([]state.IndexKey, len(ix.Keys))
	for i, k := range ix.Keys {
		keys[i] = state.IndexKey{Expr: k.Expr, Collate: k.Collate, Desc: k.Desc}
		if keys[i].Collate == "BINARY" {
			keys[i].Collate = ""
		}
		plain = plain && keys[i] == state.IndexKey{}
	}
	if !plain {
		out.Keys = keys
	}
	return out
}

// indexShape writes an index's keys and condition for a step's reason:
// (a, lower(b) DESC) WHERE deleted_at IS NULL.
func indexShape(ix *state.Index) string {
	s := describeKeys(propsOf(ix))
	if ix.Where != "" {
		s += " WHERE " + ix.Where
	}
	return s
}

// usedColumns returns the columns an index reads, lower-case, each once:
// its plain keys and the names its expressions and condition refer to.
// They must all exist before the index can be created.
func usedColumns(ix *state.Index) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if k := strings.ToLower(name); !seen[k] {
			seen[k] = true
			out = append(out, name)
		}
	}
	refs := func(text string) {
		if toks, ok := sqlnorm.Tokenize(text); ok {
			for _, n := range sqlnorm.Refs(toks) {
				add(n)
			}
		}
	}
	for i, c := range ix.Columns {
		if k := ix.Key(i); k.Expr != "" {
			refs(k.Expr)
		} else {
			add(c)
		}
	}
	if ix.Where != "" {
		refs(ix.Where)
	}
	return out
}
