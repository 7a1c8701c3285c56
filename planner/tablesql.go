package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/sqlnorm"
	"github.com/dmplan/dmplan/state"
)

// declaredType is the column type of a field as state holds it: the
// sql_type upper-cased, else the type the field type implies.
func declaredType(f *hclspec.Field) string {
	return strings.ToUpper(strings.TrimSpace(f.DeclaredType()))
}

// desiredColumnSQL copies a field's column SQL into the column, in the
// form inspection reads it: expressions normalized, BINARY as "", NO
// ACTION as "".
func desiredColumnSQL(c *state.Column, f *hclspec.Field) {
	q := f.SQL
	if q.Default != "" {
		c.Default = q.Default
	}
	c.Collate = q.Collate
	c.Check = normExpr(q.Check)
	c.Autoincrement = q.Autoincrement
	c.Unique = q.Unique
	if q.References != nil {
		r := stateReference(*q.References)
		c.References = &r
	}
}

// desiredTableSQL copies the d1 block's table options and constraints.
func desiredTableSQL(t *state.Table, m *hclspec.Model) {
	t.Strict, t.WithoutRowid = m.D1.Strict, m.D1.WithoutRowid
	for _, c := range m.D1.Checks {
		t.Checks = append(t.Checks, normExpr(c))
	}
	for _, u := range m.D1.Uniques {
		t.Uniques = append(t.Uniques, append([]string(nil), u...))
	}
	for _, fk := range m.D1.ForeignKeys {
		t.ForeignKeys = append(t.ForeignKeys, state.ForeignKey{
			Columns:   append([]string(nil), fk.Columns...),
			Reference: stateReference(fk.Reference),
		})
	}
}

func stateReference(r hclspec.Reference) state.Reference {
	out := state.Reference{Table: r.Table, Columns: append([]string(nil), r.Columns...), OnDelete: r.OnDelete, OnUpdate: r.OnUpdate}
	if out.OnDelete == "NO ACTION" {
		out.OnDelete = ""
	}
	if out.OnUpdate == "NO ACTION" {
		out.OnUpdate = ""
	}
	return out
}

// normExpr is the normalized text of an SQL expression (sqlnorm), so that
// declared and live spellings compare equal when SQLite reads them alike.
func normExpr(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if n, ok := sqlnorm.NormalizeText(s); ok {
		return n
	}
	return s
}

// defaultKey is the form in which two DEFAULT clauses compare: PRAGMA
// table_info gives an expression default without its parentheses, so one
// outer pair is dropped, and the rest is normalized.
func defaultKey(s string) string {
	s = strings.TrimSpace(s)
	for len(s) >= 2 && s[0] == '(' && matchingParen(s) == len(s)-1 {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return normExpr(s)
}

// matchingParen returns the index of the parenthesis closing s[0], or -1.
func matchingParen(s string) int {
	toks, ok := sqlnorm.Tokenize(s)
	if !ok || len(toks) == 0 || toks[0].Text != "(" {
		return -1
	}
	depth := 0
	for i, t := range toks {
		if t.Kind != sqlnorm.Punct {
			continue
		}
		switch t.Text {
		case "(":
			depth++
		case ")":
			if depth--; depth == 0 {
				if i == len(toks)-1 {
					return len(s) - 1
				}
				return -1
			}
		}
	}
	return -1
}

// normType is a declared type in one spelling: upper case, single spaces,
// none inside the size's parentheses.
func normType(s string) string {
	s = strings.Join(strings.Fields(strings.ToUpper(s)), " ")
	s = strings.ReplaceAll(s, " (", "(")
	s = strings.ReplaceAll(s, "( ", "(")
	s = strings.ReplaceAll(s, " )", ")")
	s = strings.ReplaceAll(s, " ,", ",")
	return strings.ReplaceAll(s, ", ", ",")
}

func showType(t string) string {
	if t == "" {
		return "without a type"
	}
	return t
}

// sqlTypeHint is the hint for a field whose column is declared otherwise:
// describe the column as it is, when its affinity holds the field's values.
func sqlTypeHint(f *hclspec.Field, t *state.Table, have *state.Column, haveType string) string {
	rebuild := fmt.Sprintf("SQLite cannot change a declared type: rebuild table %s by hand (CREATE TABLE with the new type, INSERT … SELECT, DROP, RENAME), or add a new field and backfill it", t.Name)
	if haveType == "" {
		return fmt.Sprintf("column %s.%s has no declared type, which no field can declare: %s", t.Name, have.Name, rebuild)
	}
	if !hclspec.AffinityAllows(hclspec.Affinity(haveType), f.Type) {
		return rebuild
	}
	desc := fmt.Sprintf("set sql_type = %q on field %s to describe the column as it is", haveType, f.Name)
	if f.BuiltIn && !f.Primary {
		opt := builtinOption(f.Name)
		desc = fmt.Sprintf("turn option %s off and declare field %q { type = %s  sql_type = %q } to describe the column as it is", opt, f.Name, f.Type, haveType)
	} else if f.BuiltIn {
		desc = fmt.Sprintf("declare the key's field %q { type = %s  sql_type = %q } to describe the column as it is", f.Name, f.Type, haveType)
	}
	return desc + "; or " + rebuild
}

// sqlDefaultAttr writes a live DEFAULT as the sql_default that declares
// it: an expression goes back into the parentheses table_info drops.
func sqlDefaultAttr(d string) string {
	d = strings.TrimSpace(d)
	if d == "" {
		return `none: remove sql_default`
	}
	if strings.Contains(d, "(") || strings.ContainsAny(d, " +*/|") {
		if !(d[0] == '(' && matchingParen(d) == len(d)-1) {
			d = "(" + d + ")"
		}
	}
	return fmt.Sprintf("sql_default = %q", d)
}

// rebuildHint is the end of every hint about what SQLite cannot alter.
func rebuildHint(table string) string {
	return fmt.Sprintf("SQLite cannot alter it in place: the other way is to rebuild table %s by hand (CREATE TABLE as declared, INSERT … SELECT, DROP TABLE, ALTER TABLE … RENAME) and plan again", table)
}

// compareColumnSQL blocks the differences of what a column definition
// adds beyond type, NOT NULL and default: collation, CHECK, UNIQUE,
// AUTOINCREMENT, REFERENCES.
func (d *differ) compareColumnSQL(m *hclspec.Model, t *state.Table, want, have *state.Column) {
	target := t.Name + "." + have.Name
	field := m.Name + "." + want.Name
	if want.Collate != have.Collate {
		d.block(m, target, CodeCollateChange,
			fmt.Sprintf("field %s declares collation %s but column %s has %s", field, showCollate(want.Collate), target, showCollate(have.Collate)),
			fmt.Sprintf("set collate = %q on field %s to describe the column as it is; %s", collateAttr(have.Collate), want.Name, rebuildHint(t.Name)))
	}
	if want.Check != have.Check {
		d.block(m, target, CodeCheckChange,
			fmt.Sprintf("field %s declares %s but column %s has %s", field, showCheck(want.Check), target, showCheck(have.Check)),
			fmt.Sprintf("%s on field %s to describe the column as it is; %s", checkAttr(have.Check), want.Name, rebuildHint(t.Name)))
	}
	if want.Unique != have.Unique {
		d.block(m, target, CodeUniqueConstraintChange,
			fmt.Sprintf("field %s declares unique = %t but column %s %s a UNIQUE constraint", field, want.Unique, target, hasOrNot(have.Unique)),
			fmt.Sprintf("set unique = %t on field %s to describe the column as it is (a unique index block is what dmplan can add to an existing table); %s", have.Unique, want.Name, rebuildHint(t.Name)))
	}
	if want.Autoincrement != have.Autoincrement {
		d.block(m, target, CodeAutoincrementChange,
			fmt.Sprintf("field %s declares autoincrement = %t but key %s %s AUTOINCREMENT", field, want.Autoincrement, target, hasOrNot(have.Autoincrement)),
			fmt.Sprintf("set autoincrement = %t on field %s to describe the key as it is; %s", have.Autoincrement, want.Name, rebuildHint(t.Name)))
	}
	if !sameReference(want.References, have.References) {
		d.block(m, target, CodeForeignKeyChange,
			fmt.Sprintf("field %s declares %s but column %s has %s", field, showReference(want.References), target, showReference(have.References)),
			fmt.Sprintf("%s on field %s to describe the column as it is; %s", referenceAttr(have.References), want.Name, rebuildHint(t.Name)))
	}
}

// compareTableSQL blocks the differences of table options and table
// constraints.
func (d *differ) compareTableSQL(m *hclspec.Model, want, have *state.Table) {
	for _, o := range []struct {
		name       string
		want, have bool
	}{{"strict", want.Strict, have.Strict}, {"without_rowid", want.WithoutRowid, have.WithoutRowid}} {
		if o.want != o.have {
			d.block(m, have.Name, CodeTableOptionChange,
				fmt.Sprintf("model %s declares %s = %t but table %s is%s %s", m.Name, o.name, o.want, have.Name, notUnless(o.have), strings.ToUpper(strings.ReplaceAll(o.name, "_", " "))),
				fmt.Sprintf("set %s = %t in the d1 block to describe the table as it is; %s", o.name, o.have, rebuildHint(have.Name)))
		}
	}
	if extra, missing := diffSets(want.Checks, have.Checks, func(s string) string { return s }); len(extra)+len(missing) > 0 {
		d.block(m, have.Name, CodeCheckChange,
			fmt.Sprintf("table %s %s", have.Name, setDiffText("CHECK", extra, missing, func(s string) string { return "(" + s + ")" })),
			fmt.Sprintf("set checks = %s in the d1 block to describe the table as it is; %s", hclList(have.Checks), rebuildHint(have.Name)))
	}
	uniqueKey := func(cols []string) string { return strings.ToLower(strings.Join(cols, ",")) }
	if extra, missing := diffSets(want.Uniques, have.Uniques, uniqueKey); len(extra)+len(missing) > 0 {
		d.block(m, have.Name, CodeUniqueConstraintChange,
			fmt.Sprintf("table %s %s", have.Name, setDiffText("UNIQUE", extra, missing, func(u []string) string { return "(" + strings.Join(u, ", ") + ")" })),
			fmt.Sprintf("set unique = %s in the d1 block to describe the table as it is (a unique index block is what dmplan can add to an existing table); %s", hclLists(have.Uniques), rebuildHint(have.Name)))
	}
	fkKey := func(fk state.ForeignKey) string {
		return strings.ToLower(strings.Join(fk.Columns, ",")) + " " + refKey(&fk.Reference)
	}
	if extra, missing := diffSets(want.ForeignKeys, have.ForeignKeys, fkKey); len(extra)+len(missing) > 0 {
		d.block(m, have.Name, CodeForeignKeyChange,
			fmt.Sprintf("table %s %s", have.Name, setDiffText("FOREIGN KEY", extra, missing, func(fk state.ForeignKey) string {
				return "(" + strings.Join(fk.Columns, ", ") + ") REFERENCES " + referenceText(fk.Reference)
			})),
			fmt.Sprintf("declare the table's foreign_key blocks as they are; %s", rebuildHint(have.Name)))
	}
}

// unmodeledNotes says what a managed table declares that the model cannot.
func (d *differ) unmodeledNotes(m *hclspec.Model, have *state.Table) {
	for _, u := range have.Unmodeled {
		d.note(NoteUnmodeledSQL, have.Name,
			fmt.Sprintf("table %s of model %s: %s, which dmplan cannot declare; left as is, and a rebuild by hand must keep it", have.Name, m.Name, u))
	}
}

// diffSets returns the elements of want that have lacks (extra) and of
// have that want lacks (missing), compared by key.
func diffSets[T any](want, have []T, key func(T) string) (extra, missing []T) {
	count := map[string]int{}
	for _, h := range have {
		count[key(h)]++
	}
	for _, w := range want {
		if count[key(w)] > 0 {
			count[key(w)]--
			continue
		}
		extra = append(extra, w)
	}
	wc := map[string]int{}
	for _, w := range want {
		wc[key(w)]++
	}
	for _, h := range have {
		if wc[key(h)] > 0 {
			wc[key(h)]--
			continue
		}
		missing = append(missing, h)
	}
	return extra, missing
}

func setDiffText[T any](what string, extra, missing []T, show func(T) string) string {
	var parts []string
	for _, e := range extra {
		parts = append(parts, "lacks the declared "+what+" "+show(e))
	}
	for _, x := range missing {
		parts = append(parts, "has "+what+" "+show(x)+", which the model does not declare")
	}
	return strings.Join(parts, ", and ")
}

func hclList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func hclLists(lists [][]string) string {
	q := make([]string, len(lists))
	for i, l := range lists {
		q[i] = hclList(l)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func notUnless(b bool) string {
	if b {
		return ""
	}
	return " not"
}

func hasOrNot(b bool) string {
	if b {
		return "has"
	}
	return "has no"
}

func showCollate(c string) string {
	if c == "" {
		return "BINARY (the default)"
	}
	return c
}

func collateAttr(c string) string {
	if c == "" {
		return "BINARY"
	}
	return c
}

func showCheck(c string) string {
	if c == "" {
		return "no CHECK"
	}
	return "CHECK (" + c + ")"
}

func checkAttr(c string) string {
	if c == "" {
		return "remove check"
	}
	return fmt.Sprintf("set check = %q", c)
}

// refKey is the form in which two references compare: names ignore case.
func refKey(r *state.Reference) string {
	if r == nil {
		return ""
	}
	return strings.ToLower(r.Table+"("+strings.Join(r.Columns, ",")+")") + " " + r.OnDelete + " " + r.OnUpdate
}

func sameReference(a, b *state.Reference) bool { return refKey(a) == refKey(b) }

func referenceText(r state.Reference) string {
	s := r.Table
	if len(r.Columns) > 0 {
		s += "(" + strings.Join(r.Columns, ", ") + ")"
	}
	if r.OnDelete != "" {
		s += " ON DELETE " + r.OnDelete
	}
	if r.OnUpdate != "" {
		s += " ON UPDATE " + r.OnUpdate
	}
	return s
}

func showReference(r *state.Reference) string {
	if r == nil {
		return "no REFERENCES"
	}
	return "REFERENCES " + referenceText(*r)
}

func referenceAttr(r *state.Reference) string {
	if r == nil {
		return "remove references, on_delete and on_update"
	}
	ref := r.Table
	if len(r.Columns) == 1 {
		ref += "." + r.Columns[0]
	} else if len(r.Columns) > 1 {
		ref += "(" + strings.Join(r.Columns, ", ") + ")"
	}
	s := fmt.Sprintf("set references = %q", ref)
	if r.OnDelete != "" {
		s += fmt.Sprintf(", on_delete = %q", strings.ToLower(r.OnDelete))
	}
	if r.OnUpdate != "" {
		s += fmt.Sprintf(", on_update = %q", strings.ToLower(r.OnUpdate))
	}
	return s
}

// keyFieldDecl is the field block that declares a live key column.
func keyFieldDecl(name, haveType string) string {
	switch hclspec.Affinity(haveType) {
	case hclspec.AffinityInteger:
		if haveType == "INTEGER" {
			return fmt.Sprintf("field %q { type = integer }", name)
		}
		return fmt.Sprintf("field %q { type = integer  sql_type = %q }", name, haveType)
	case hclspec.AffinityText:
		return fmt.Sprintf("field %q { type = string  sql_type = %q }", name, haveType)
	}
	return fmt.Sprintf("field %q { type = ...  sql_type = %q }", name, haveType)
}
