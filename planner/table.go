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
		if have.Virtual != "" || have.ShadowOf != "" {
			what := "a " + have.Virtual + " virtual table"
			if have.ShadowOf != "" {
				what = "a shadow table of the virtual table " + have.ShadowOf
			}
			d.block(m, have.Name, CodeNotManageable,
				fmt.Sprintf("model %s maps to table %s, which is %s: SQLite keeps it, dmplan cannot manage it", m.Name, have.Name, what),
				fmt.Sprintf("remove model %s, or give it another d1.table", m.Name))
			return
		}
		d.alterTable(m, want, have)
		return
	}
	d.createTable(m, want)
}

func (d *differ) createTable(m *hclspec.Model, want *state.Table) {
	for _, t := range d.live.Tables {
		if t != nil && t.Index(want.Name) != nil {
			d.block(m, want.Name, CodeTableNameTaken,
				fmt.Sprintf("model %s would create table %s, but the name %s is taken by an index on table %s; SQLite names tables and indexes in one namespace", m.Name, want.Name, want.Name, t.Name),
				fmt.Sprintf("set another d1.table for model %s, or drop or rename the index %s by hand", m.Name, want.Name))
			return
		}
	}
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
	added := want.Clone()
	var kept []*state.Index
	for i, ix := range want.Indexes {
		if d.blockNameTaken(m, want.Name, ix) {
			continue
		}
		d.createSteps = append(d.createSteps, indexStep(m, want.Name, ix))
		kept = append(kept, added.Indexes[i])
	}
	added.Indexes = kept
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
		Reason: fmt.Sprintf("model %s declares %s %s on %s%s", m.Name, kind, label, table, indexShape(ix)),
		Safe:   true,
	}
}

// tooManyColumnsHint is the DM106 hint for an existing table: sync fewer
// fields, or drop the kept columns no synced field maps to (wanted holds
// the declared columns, lower case).
func tooManyColumnsHint(have *state.Table, wanted map[string]bool) string {
	const fewer = "sync fewer fields (keep the rest in KV only)"
	var kept []string
	for _, c := range have.Columns {
		if !wanted[strings.ToLower(c.Name)] {
			kept = append(kept, c.Name)
		}
	}
	if len(kept) == 0 {
		return fewer
	}
	return fmt.Sprintf("%s, or drop some of the %d columns of table %s that no synced field maps to (notes DM202) by hand, e.g. ALTER TABLE %s DROP COLUMN %s, once nothing reads them",
		fewer, len(kept), have.Name, quoteIdent(have.Name), quoteIdent(kept[0]))
}

// alterTable plans the additions to an existing table and blocks what
// cannot be done in place.
func (d *differ) alterTable(m *hclspec.Model, want, have *state.Table) {
	pkOK := d.checkPrimaryKey(m, want, have)
	d.compareTableSQL(m, want, have)
	d.unmodeledNotes(m, have)
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
			d.block(m, have.Name+"."+c.Name, chk.Code, fmt.Sprintf("model %s syncs field %s, but %s", m.Name, c.Name, chk.Why), builtinAddHint(m, have, c, chk))
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
			tooManyColumnsHint(have, wanted))
		adds, addCols = nil, nil
	}
	d.addSteps = append(d.addSteps, adds...)
	for _, c := range addCols {
		available[strings.ToLower(c.Name)] = true
		cc := *c
		after.Columns = append(after.Columns, &cc)
	}

	// A live column no synced field maps to, whether its field was taken
	// out of sync_fields or deleted from the model, is one case: D1 is a
	// projection of the KV objects and dmplan never drops a column, so the
	// column is kept and simply no longer written (new rows get its
	// default or NULL, existing rows keep their last values), and the KV
	// objects keep whatever they hold. Nothing is lost and nothing needs a
	// person before apply, so both are the note DM202, not a blocked step
	// (a blocked step here could only be cleared by dropping the column by
	// hand, for a change the user made on purpose). The one exception is a
	// NOT NULL column without a default: every insert would fail, so that
	// blocks (DM111) either way.
	for _, hc := range have.Columns {
		if wanted[strings.ToLower(hc.Name)] || (hc.PK && !pkOK) {
			continue
		}
		if hc.Generated != "" {
			d.note(NoteGeneratedColumn, have.Name+"."+hc.Name,
				fmt.Sprintf("column %s.%s is generated (AS (%s)): SQLite computes it, no field can declare it, dmplan leaves it alone", have.Name, hc.Name, hc.Generated))
			continue
		}
		if !hc.PK && hc.NotNull && normDefault(hc.Default) == "" {
			// No write fills it, and SQLite has no value for it: every
			// insert of the runtime would fail.
			drop := fmt.Sprintf("drop the column by hand (ALTER TABLE %s DROP COLUMN %s) once nothing reads it", quoteIdent(have.Name), quoteIdent(hc.Name))
			keep := fmt.Sprintf("keep field %s in the model and in sync_fields (required, so every write fills the column), or %s", hc.Name, drop)
			if m.D1Only() {
				keep = fmt.Sprintf("declare field %s in the model (required, so every write fills the column), or %s", hc.Name, drop)
			}
			if opt := builtinOption(strings.ToLower(hc.Name)); opt != "" && m.Field(hc.Name) == nil {
				// A built-in's name cannot be declared as a field.
				keep = fmt.Sprintf("turn option %s back on (its built-in field %s fills the column), or %s", opt, hc.Name, drop)
			}
			d.block(m, have.Name+"."+hc.Name, CodeUnmanagedNotNull,
				fmt.Sprintf("column %s.%s matches no synced field of model %s, but it is NOT NULL without a default, so every new record would fail to sync to D1", have.Name, hc.Name, m.Name),
				keep)
			continue
		}
		d.note(NoteUnmanagedColumn, have.Name+"."+hc.Name, unmanagedColumnNote(m, have, hc))
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
		fmt.Sprintf("set primary_key to match the table, or give the model a new d1.table: dmplan creates it and refills it from the model's KV objects in the same plan (drop table %s by hand once nothing reads it)", have.Name))
	return false
}

// compareColumn blocks or notes the differences between a declared column
// and the live one of the same name.
func (d *differ) compareColumn(m *hclspec.Model, t *state.Table, want, have *state.Column) {
	target := t.Name + "." + have.Name
	haveType := strings.ToUpper(strings.TrimSpace(have.Type))
	f := m.Field(want.Name)
	if have.Generated != "" {
		d.block(m, target, CodeNotManageable,
			fmt.Sprintf("model %s declares field %s, but column %s is generated (AS (%s)): SQLite computes it and no write may set it", m.Name, want.Name, target, have.Generated),
			fmt.Sprintf("remove field %s from the model (the column stays, computed by SQLite), or rename it", want.Name))
		return
	}
	if f != nil && f.SQL.Type != "" {
		// The declared type is part of the model: any other spelling is a
		// difference, and SQLite cannot change a declared type.
		if normType(haveType) != normType(want.Type) {
			d.block(m, target, CodeSQLTypeChange,
				fmt.Sprintf("field %s.%s declares sql_type %s but column %s is declared %s; SQLite cannot change a column's declared type", m.Name, want.Name, want.Type, target, showType(haveType)),
				sqlTypeHint(f, t, have, haveType))
			return
		}
	} else if affinity(haveType) != affinity(want.Type) {
		ft, ofType := "", ""
		if f != nil {
			ft = " (type " + f.Type.String() + ")"
			ofType = " of type " + f.Type.String()
		}
		hint := fmt.Sprintf("add a new synced field%s (e.g. %s_v2), backfill it from %s, switch readers to it, then remove %s from the model; its column is kept (drop it by hand once nothing reads it)", ofType, want.Name, want.Name, want.Name)
		rename := fmt.Sprintf("rename the live column by hand (ALTER TABLE %s RENAME COLUMN %s TO %s) and apply: dmplan adds %s as %s and fills it from the KV objects; drop the old column once nothing reads it",
			quoteIdent(t.Name), quoteIdent(have.Name), quoteIdent(have.Name+"_old"), want.Name, want.Type)
		switch {
		case f != nil && haveType != "" && hclspec.AffinityAllows(hclspec.Affinity(haveType), f.Type):
			// The live column holds the field's values as they are: the
			// model only has to say how the column is declared.
			hint = sqlTypeHint(f, t, have, haveType)
		case f != nil && (m.D1Only() || haveType == ""):
			// No KV objects to refill from, or nothing to declare.
			hint = sqlTypeHint(f, t, have, haveType)
			if want.PK && haveType != "" {
				hint = fmt.Sprintf("declare the key's field with the live column's type (%s); %s", keyFieldDecl(want.Name, haveType), rebuildHint(t.Name))
			}
		case want.PK || (f != nil && f.Primary):
			// The primary key cannot be removed or renamed away.
			hint = fmt.Sprintf("declare the key's field with the live column's type (%s), or, as SQLite cannot change a primary key in place, point d1.table at a new table name and apply (dmplan creates it), refill it from KV with dmplan reconcile -model %s -fix, then drop the old table by hand once nothing reads it",
				keyFieldDecl(want.Name, haveType), m.Name)
		case f != nil && f.BuiltIn:
			hint = fmt.Sprintf("%s is the built-in field of option %s, which dmplan stores as %s: %s", want.Name, builtinOption(want.Name), want.Type, rename)
		}
		d.block(m, target, CodeTypeChange,
			fmt.Sprintf("changing %s.%s (column %s) from %s to %s%s needs a manual migration; dmplan never changes a column type", m.Name, want.Name, target, showType(haveType), want.Type, ft),
			hint)
		return
	}
	d.compareColumnSQL(m, t, want, have)
	if haveType != want.Type && (f == nil || f.SQL.Type == "") {
		d.note(NoteTypeSpelling, target,
			fmt.Sprintf("column %s is declared %s; dmplan would use %s, which has the same SQLite affinity: left as is", target, haveType, want.Type))
	}
	if !want.PK && want.NotNull != have.NotNull {
		opt := ""
		if f := m.Field(want.Name); f != nil && f.BuiltIn {
			opt = builtinOption(want.Name) // its NOT NULL is the option's, not the user's
		}
		if want.NotNull {
			hint := "keep the field optional in D1 (the runtime still validates it), or rebuild the table by hand after backfilling every NULL"
			if opt != "" {
				hint = fmt.Sprintf("%s is the built-in field of option %s, which dmplan stores NOT NULL: rebuild table %s by hand with %s NOT NULL once every row has a value, or turn option %s off", want.Name, opt, t.Name, want.Name, opt)
			}
			d.block(m, target, CodeNullabilityChange,
				fmt.Sprintf("model %s makes field %s required, but column %s allows NULL; SQLite cannot add NOT NULL to an existing column", m.Name, want.Name, target),
				hint)
		} else {
			hint := "keep the field required, or rebuild the table by hand without the NOT NULL constraint"
			if opt != "" {
				hint = fmt.Sprintf("%s is the built-in field of option %s, which dmplan stores without NOT NULL: rebuild table %s by hand without the NOT NULL constraint on %s", want.Name, opt, t.Name, want.Name)
			}
			d.block(m, target, CodeNullabilityChange,
				fmt.Sprintf("model %s makes field %s optional, but column %s is NOT NULL, so records without it would fail to sync; SQLite cannot drop NOT NULL in place", m.Name, want.Name, target),
				hint)
		}
	}
	if f != nil && f.SQL.Default != "" {
		if defaultKey(want.Default) != defaultKey(have.Default) {
			d.block(m, target, CodeSQLDefaultChange,
				fmt.Sprintf("field %s.%s declares sql_default %s but column %s has default %s; D1 fills it, and SQLite cannot alter a default", m.Name, want.Name, want.Default, target, showDefault(have.Default)),
				fmt.Sprintf("set sql_default to the live default (%s), or rebuild table %s by hand with the declared one", sqlDefaultAttr(have.Default), t.Name))
		}
	} else if !want.PK && !sameDefault(want.Default, have.Default) {
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
	if a == b || defaultKey(a) == defaultKey(b) {
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
	if m.D1Only() {
		return fmt.Sprintf("model %s declares field %s", m.Name, name)
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

// unmanagedColumnNote says what happens to a live column no synced field
// maps to (DM202): kept, no longer written, KV objects unchanged.
func unmanagedColumnNote(m *hclspec.Model, t *state.Table, c *state.Column) string {
	col := t.Name + "." + c.Name
	fill := "NULL"
	if d := normDefault(c.Default); d != "" {
		fill = "its default " + d
	}
	if f := m.Field(c.Name); f != nil && !f.KVOnly {
		return fmt.Sprintf("field %s of model %s is not in sync_fields: column %s is kept but no longer written (new rows get %s, existing rows keep their last values); the KV objects keep the field. "+
			"Drop the column by hand once nothing reads it; to sync the field again, re-add it to sync_fields and run dmplan reconcile -model %s -fix after apply to refresh the column",
			c.Name, m.Name, col, fill, m.Name)
	}
	if m.D1Only() {
		return fmt.Sprintf("column %s matches no field of model %s: kept but not written by dmplan (new rows get %s, existing rows keep their values). Declare the field to manage it, or drop the column by hand once nothing reads it",
			col, m.Name, fill)
	}
	return fmt.Sprintf("column %s matches no field of model %s: kept but not written by dmplan (new rows get %s, existing rows keep their values); KV objects written before keep any value they hold under that name. Drop the column by hand once nothing reads it",
		col, m.Name, fill)
}

// builtinAddHint is the hint for a column that cannot be added: the
// generic one of addColumnCheck for a declared field, and for a built-in
// field one that does not ask to change a field the user cannot change
// (user_id is NOT NULL without a default when user_tracking is on).
func builtinAddHint(m *hclspec.Model, t *state.Table, c *state.Column, chk addCheck) string {
	f := m.Field(c.Name)
	if f == nil || !f.BuiltIn || f.Primary || chk.Code != CodeNotNullNoDefault {
		return chk.Hint
	}
	opt := builtinOption(c.Name)
	if !t.HasRows && t.Rows <= 0 {
		return fmt.Sprintf("%s is the built-in field of option %s, which dmplan stores NOT NULL without a default: table %s is empty, so drop it by hand (DROP TABLE %s) and apply, and dmplan creates it with %s; or turn option %s off",
			c.Name, opt, t.Name, quoteIdent(t.Name), c.Name, opt)
	}
	return fmt.Sprintf("%s is the built-in field of option %s, which dmplan stores NOT NULL without a default: turn option %s off, or rebuild table %s by hand with a %s column that every row fills",
		c.Name, opt, opt, t.Name, c.Name)
}
