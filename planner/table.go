package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// model plans one model's table: create it, or add what is missing to the
// live one.
func (d *differ) model(m *hclspec.Model) {
	want := desiredTable(m)
	lower := strings.ToLower(want.Name)
	if other, ok := d.claimed[lower]; ok {
		d.block(m, want.Name, CodeDuplicateTable,
			fmt.Sprintf("models %s and %s both map to D1 table %s", other, m.Name, want.Name),
			fmt.Sprintf("give model %s its own d1.table", m.Name))
		return
	}
	d.claimed[lower] = m.Name
	if have := d.byName[lower]; have != nil {
		d.alterTable(m, want, have)
		return
	}
	d.createTable(m, want)
}

func (d *differ) createTable(m *hclspec.Model, want *state.Table) {
	if len(want.Columns) > maxColumns {
		d.block(m, want.Name, CodeTooManyColumns,
			fmt.Sprintf("model %s would create table %s with %d columns; D1 allows %d", m.Name, want.Name, len(want.Columns), maxColumns),
			"sync fewer fields (keep the rest in KV only)")
		return
	}
	d.createSteps = append(d.createSteps, Step{
		Action: CreateTable,
		Model:  m.Name,
		Target: want.Name,
		SQL:    []string{createTableSQL(want)},
		Reason: fmt.Sprintf("model %s syncs %d fields to D1 table %s, which does not exist yet", m.Name, len(want.Columns), want.Name),
		Safe:   true,
	})
	for _, ix := range want.Indexes {
		d.createSteps = append(d.createSteps, indexStep(m, want.Name, ix))
	}
	added := want.Clone()
	added.HasRows, added.Rows = false, 0
	d.after.Tables = append(d.after.Tables, added)
	d.afterByName[strings.ToLower(want.Name)] = added
}

func indexStep(m *hclspec.Model, table string, ix *state.Index) Step {
	kind := "index"
	if ix.Unique {
		kind = "unique index"
	}
	label := ix.Name
	if p := table + "_"; strings.HasPrefix(ix.Name, p) {
		label = strings.TrimPrefix(ix.Name, p)
	}
	return Step{
		Action: CreateIndex,
		Model:  m.Name,
		Target: ix.Name,
		SQL:    []string{createIndexSQL(table, ix)},
		Reason: fmt.Sprintf("model %s declares %s %s on %s(%s)", m.Name, kind, label, table, strings.Join(ix.Columns, ", ")),
		Safe:   true,
	}
}

// alterTable plans the additions to an existing table and blocks what
// cannot be done in place.
func (d *differ) alterTable(m *hclspec.Model, want, have *state.Table) {
	pkOK := d.checkPrimaryKey(m, want, have)
	after := d.afterByName[strings.ToLower(have.Name)]

	wanted := map[string]bool{}
	available := map[string]bool{} // columns present after the plan
	for _, c := range have.Columns {
		available[strings.ToLower(c.Name)] = true
	}
	var adds []Step
	var addCols []*state.Column
	for _, c := range want.Columns {
		wanted[strings.ToLower(c.Name)] = true
		if c.PK && !pkOK {
			continue
		}
		hc := have.Column(c.Name)
		if hc != nil {
			d.compareColumn(m, have, c, hc)
			continue
		}
		chk := addColumnCheck(have, c)
		if !chk.OK {
			d.block(m, have.Name+"."+c.Name, chk.Code, fmt.Sprintf("model %s syncs field %s, but %s", m.Name, c.Name, chk.Why), chk.Hint)
			continue
		}
		adds = append(adds, Step{
			Action: AddColumn,
			Model:  m.Name,
			Target: have.Name + "." + c.Name,
			SQL:    []string{addColumnSQL(have.Name, c)},
			Reason: fieldReason(m, c.Name),
			Safe:   true,
		})
		addCols = append(addCols, c)
	}
	if n := len(have.Columns) + len(adds); len(adds) > 0 && n > maxColumns {
		d.block(m, have.Name, CodeTooManyColumns,
			fmt.Sprintf("adding %d columns for model %s would give table %s %d columns; D1 allows %d", len(adds), m.Name, have.Name, n, maxColumns),
			"sync fewer fields (keep the rest in KV only)")
		adds, addCols = nil, nil
	}
	d.addSteps = append(d.addSteps, adds...)
	for _, c := range addCols {
		available[strings.ToLower(c.Name)] = true
		cc := *c
		after.Columns = append(after.Columns, &cc)
	}

	// Declared fields that are no longer synced but still have a column.
	for _, f := range m.Fields {
		if f == nil || f.KVOnly || wanted[strings.ToLower(f.Name)] {
			continue
		}
		if hc := have.Column(f.Name); hc != nil {
			d.block(m, have.Name+"."+hc.Name, CodeUnsynced,
				fmt.Sprintf("model %s declares field %s but no longer syncs it, while column %s.%s still exists; the column is kept and stops being written", m.Name, f.Name, have.Name, hc.Name),
				fmt.Sprintf("re-add %s to sync_fields, or drop the column by hand once no reader uses it", f.Name))
			wanted[strings.ToLower(f.Name)] = true
		}
	}
	for _, hc := range have.Columns {
		if wanted[strings.ToLower(hc.Name)] || (hc.PK && !pkOK) {
			continue
		}
		if !hc.PK && hc.NotNull && normDefault(hc.Default) == "" {
			// No write fills it, and SQLite has no value for it: every
			// insert of the runtime would fail.
			d.block(m, have.Name+"."+hc.Name, CodeUnmanagedNotNull,
				fmt.Sprintf("column %s.%s matches no synced field of model %s, but it is NOT NULL without a default, so every new record would fail to sync to D1", have.Name, hc.Name, m.Name),
				fmt.Sprintf("keep field %s in the model and in sync_fields (required, so every write fills the column), or drop the column by hand (ALTER TABLE %s DROP COLUMN %s) once nothing reads it", hc.Name, quoteIdent(have.Name), quoteIdent(hc.Name)))
			continue
		}
		d.note(NoteUnmanagedColumn, have.Name+"."+hc.Name,
			fmt.Sprintf("column %s.%s matches no field of model %s: kept, not managed", have.Name, hc.Name, m.Name))
	}
	d.indexes(m, want, have, after, available)
}

// checkPrimaryKey blocks the table's changes to the primary key and reports
// whether the live primary key is the model's.
func (d *differ) checkPrimaryKey(m *hclspec.Model, want, have *state.Table) bool {
	wantPK, havePK := want.PrimaryKey(), have.PrimaryKey()
	if len(wantPK) == len(havePK) {
		same := true
		for i := range wantPK {
			if !strings.EqualFold(wantPK[i], havePK[i]) {
				same = false
			}
		}
		if same {
			return true
		}
	}
	live := "no primary key (only SQLite's rowid)"
	if len(havePK) > 0 {
		live = "primary key (" + strings.Join(havePK, ", ") + ")"
	}
	d.block(m, have.Name, CodePrimaryKeyChange,
		fmt.Sprintf("model %s declares primary key (%s) but table %s has %s; SQLite cannot change a primary key in place", m.Name, strings.Join(wantPK, ", "), have.Name, live),
		"set primary_key to match the table, or create a new table (a new d1.table) and copy the rows into it by hand")
	return false
}

// compareColumn blocks or notes the differences between a declared column
// and the live one of the same name.
func (d *differ) compareColumn(m *hclspec.Model, t *state.Table, want, have *state.Column) {
	target := t.Name + "." + have.Name
	haveType := strings.ToUpper(strings.TrimSpace(have.Type))
	if affinity(haveType) != affinity(want.Type) {
		ft, ofType := "", ""
		if f := m.Field(want.Name); f != nil {
			ft = " (type " + f.Type.String() + ")"
			ofType = " of type " + f.Type.String()
		}
		d.block(m, target, CodeTypeChange,
			fmt.Sprintf("changing %s.%s (column %s) from %s to %s%s needs a manual migration; dmplan never changes a column type", m.Name, want.Name, target, haveType, want.Type, ft),
			fmt.Sprintf("add a new synced field%s (e.g. %s_v2), backfill it from %s, switch readers to it, then remove %s from the model; its column is kept (drop it by hand once nothing reads it)", ofType, want.Name, want.Name, want.Name))
		return
	}
	if haveType != want.Type {
		d.note(NoteTypeSpelling, target,
			fmt.Sprintf("column %s is declared %s; dmplan would use %s, which has the same SQLite affinity: left as is", target, haveType, want.Type))
	}
	if !want.PK && want.NotNull != have.NotNull {
		if want.NotNull {
			d.block(m, target, CodeNullabilityChange,
				fmt.Sprintf("model %s makes field %s required, but column %s allows NULL; SQLite cannot add NOT NULL to an existing column", m.Name, want.Name, target),
				"keep the field optional in D1 (the runtime still validates it), or rebuild the table by hand after backfilling every NULL")
		} else {
			d.block(m, target, CodeNullabilityChange,
				fmt.Sprintf("model %s makes field %s optional, but column %s is NOT NULL, so records without it would fail to sync; SQLite cannot drop NOT NULL in place", m.Name, want.Name, target),
				"keep the field required, or rebuild the table by hand without the NOT NULL constraint")
		}
	}
	if !want.PK && !sameDefault(want.Default, have.Default) {
		d.note(NoteDefaultDiffers, target,
			fmt.Sprintf("column %s has default %s, model %s declares %s; SQLite cannot alter a default, and the runtime writes the declared one", target, showDefault(have.Default), m.Name, showDefault(want.Default)))
	}
}

func normDefault(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "NULL") {
		return ""
	}
	return s
}

// sameDefault reports whether two DEFAULT clauses are the same value. Two
// quoted timestamps of the same instant are: dmplan writes timestamp
// defaults in the runtime's form (UTC, milliseconds) since a configuration
// may spell them otherwise, and a table created from the other spelling
// needs no note.
func sameDefault(a, b string) bool {
	a, b = normDefault(a), normDefault(b)
	if a == b {
		return true
	}
	ta, okA := quotedTime(a)
	tb, okB := quotedTime(b)
	return okA && okB && ta.Equal(tb)
}

// quotedTime parses an SQL string literal holding an RFC 3339 timestamp.
func quotedTime(lit string) (time.Time, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"))
	return t, err == nil
}

func showDefault(s string) string {
	if normDefault(s) == "" {
		return "none"
	}
	return s
}

// fieldReason explains why a column is added: a declared field in
// sync_fields or a built-in field an option enables.
func fieldReason(m *hclspec.Model, name string) string {
	f := m.Field(name)
	if f != nil && f.BuiltIn {
		if opt := builtinOption(name); opt != "" {
			return fmt.Sprintf("model %s has the built-in field %s (option %s)", m.Name, name, opt)
		}
		return fmt.Sprintf("model %s has the built-in field %s", m.Name, name)
	}
	return fmt.Sprintf("model %s declares field %s in sync_fields", m.Name, name)
}

func builtinOption(name string) string {
	switch name {
	case "user_id":
		return "user_tracking"
	case "created_at", "updated_at":
		return "timestamps"
	case "deleted_at":
		return "soft_delete"
	}
	return ""
}
