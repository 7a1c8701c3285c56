package planner

import (
	"slices"
	"strings"

	"github.com/dmplan/dmplan/state"
)

// alignConstraints returns copies of a declared table and its live one in
// which what SQLite reads alike is held alike, so that only real
// differences reach compareTableSQL and compareColumnSQL:
//
//   - REFERENCES t is REFERENCES t(<t's primary key>) when table t exists;
//   - a one-column FOREIGN KEY (c) REFERENCES … is column c's own
//     REFERENCES, and a one-column UNIQUE (c) is column c's UNIQUE:
//     SQLite keeps the same foreign key and the same unique index either
//     way (PRAGMA foreign_key_list and index_list cannot tell them apart),
//     drizzle-kit and Prisma write the table form, hand-written SQL often
//     the column form. When one side has it on the column and the other
//     in the table, and both say the same, both hold it on the column.
//     What differs stays where each side wrote it, so hints describe it
//     the way the model or the table does.
//   - a CHECK is the same constraint on a column or in the table (a
//     column CHECK may name any column): drizzle-kit writes table
//     CHECKs, hand-written SQL column ones. When the same text is on the
//     column on one side and in the table on the other, both hold it on
//     the column.
//   - a column the plan adds takes a one-column foreign_key of the model
//     as its REFERENCES: ALTER TABLE ADD COLUMN can add that, not a table
//     constraint.
//
// fromBlock names (lower case) the columns whose declared REFERENCES came
// from a foreign_key block, for the hints.
func alignConstraints(want, have *state.Table, live map[string]*state.Table) (w, h *state.Table, fromBlock map[string]bool) {
	want, have = want.Clone(), have.Clone()
	fromBlock = map[string]bool{}
	for _, t := range []*state.Table{want, have} {
		for _, c := range t.Columns {
			if c.References != nil {
				resolveKey(c.References, live)
			}
		}
		for i := range t.ForeignKeys {
			resolveKey(&t.ForeignKeys[i].Reference, live)
		}
	}
	for _, wc := range want.Columns {
		hc := have.Column(wc.Name)
		if hc == nil {
			if wc.References == nil {
				if i := oneColumnFK(want, wc.Name); i >= 0 {
					wc.References = liftFK(want, i)
				}
			}
			continue
		}
		switch {
		case wc.References == nil && hc.References != nil:
			if i := oneColumnFK(want, wc.Name); i >= 0 {
				wc.References = liftFK(want, i)
				fromBlock[strings.ToLower(wc.Name)] = true
			}
		case wc.References != nil && hc.References == nil:
			if i := oneColumnFK(have, hc.Name); i >= 0 {
				hc.References = liftFK(have, i)
			}
		}
		switch {
		case wc.Check != "" && hc.Check == "":
			if i := slices.Index(have.Checks, wc.Check); i >= 0 {
				have.Checks = slices.Delete(have.Checks, i, i+1)
				hc.Check = wc.Check
			}
		case wc.Check == "" && hc.Check != "":
			if i := slices.Index(want.Checks, hc.Check); i >= 0 {
				want.Checks = slices.Delete(want.Checks, i, i+1)
				wc.Check = hc.Check
			}
		}
		switch {
		case !wc.Unique && hc.Unique:
			if i := oneColumnUnique(want, wc.Name); i >= 0 {
				want.Uniques = slices.Delete(want.Uniques, i, i+1)
				wc.Unique = true
			}
		case wc.Unique && !hc.Unique:
			if i := oneColumnUnique(have, hc.Name); i >= 0 {
				have.Uniques = slices.Delete(have.Uniques, i, i+1)
				hc.Unique = true
			}
		}
	}
	return want, have, fromBlock
}

// resolveKey fills the columns of a reference that names only its table
// with that table's primary key, when the table exists and has one.
func resolveKey(r *state.Reference, live map[string]*state.Table) {
	if len(r.Columns) > 0 {
		return
	}
	if t := live[strings.ToLower(r.Table)]; t != nil {
		r.Columns = t.PrimaryKey()
	}
}

// oneColumnFK returns the index of t's first one-column FOREIGN KEY on
// column col, or -1.
func oneColumnFK(t *state.Table, col string) int {
	for i, fk := range t.ForeignKeys {
		if len(fk.Columns) == 1 && strings.EqualFold(fk.Columns[0], col) {
			return i
		}
	}
	return -1
}

// liftFK removes t's foreign key i and returns its reference.
func liftFK(t *state.Table, i int) *state.Reference {
	r := t.ForeignKeys[i].Reference
	t.ForeignKeys = slices.Delete(t.ForeignKeys, i, i+1)
	return &r
}

// oneColumnUnique returns the index of t's one-column UNIQUE on col, or -1.
func oneColumnUnique(t *state.Table, col string) int {
	for i, u := range t.Uniques {
		if len(u) == 1 && strings.EqualFold(u[0], col) {
			return i
		}
	}
	return -1
}
