package planner

import (
	"fmt"
	"math"
	"strconv"
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
		c.Default = liveDefault(q.Default)
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

// liveDefault is an sql_default as PRAGMA table_info reads it back: an
// expression without the parentheses DEFAULT (expr) needs, trimmed.
// columnDef puts them back.
func liveDefault(d string) string {
	d = strings.TrimSpace(d)
	if len(d) >= 2 && d[0] == '(' && matchingParen(d) == len(d)-1 {
		return strings.TrimSpace(d[1 : len(d)-1])
	}
	return d
}

// defaultClause is the text after DEFAULT: a literal or one of the
// CURRENT_ keywords as it is, anything else in parentheses.
func defaultClause(d string) string {
	switch strings.ToUpper(strings.TrimSpace(d)) {
	case "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME":
		return d
	}
	if isConstantDefault(d) {
		return d
	}
	return "(" + d + ")"
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

// sqlText is an expression of the state (normalized by sqlnorm, which
// leaves a name unquoted unless one of its own keywords) as CREATE TABLE
// must write it: every referenced name that is an SQLite keyword ("order",
// "group") quoted again. Inspection normalizes the quotes away, so the
// text compares as before.
func sqlText(expr string) string {
	toks, ok := sqlnorm.Tokenize(expr)
	if !ok {
		return expr
	}
	quote := map[string]bool{}
	for _, r := range sqlnorm.Refs(toks) {
		if hclspec.IsSQLiteKeyword(r) {
			quote[strings.ToLower(r)] = true
		}
	}
	if len(quote) == 0 {
		return expr
	}
	var b strings.Builder
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			for j < len(expr) {
				if expr[j] == closer {
					if closer != ']' && j+1 < len(expr) && expr[j+1] == closer {
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(expr))
			b.WriteString(expr[i:end])
			i = end
		case sqlnorm.IsIdentByte(c):
			j := i
			for j < len(expr) && sqlnorm.IsIdentByte(expr[j]) {
				j++
			}
			word := expr[i:j]
			next := strings.TrimLeft(expr[j:], " ")
			if quote[strings.ToLower(word)] && !strings.HasPrefix(next, "(") && (i == 0 || expr[i-1] != '.') {
				b.WriteString(quoteIdent(word))
			} else {
				b.WriteString(word)
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
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

// sameLiteral reports whether two literal defaults store the same value
// in a column declared colType: a blob's hex digits ignore case, TRUE and
// FALSE are the integers 1 and 0
// (drizzle-kit writes DEFAULT false, dmplan 0 for default = false), and
// in a column of INTEGER, REAL or NUMERIC affinity numbers compare by
// value (DEFAULT 0.0 stores the 0 that DEFAULT 0 does; a TEXT column
// keeps the text '0.0').
func sameLiteral(a, b, colType string) bool {
	ka, kb := literalKey(a, colType), literalKey(b, colType)
	return ka != "" && ka == kb
}

func literalKey(d, colType string) string {
	d = defaultKey(d)
	switch strings.ToUpper(d) {
	case "TRUE":
		d = "1"
	case "FALSE":
		d = "0"
	}
	if len(d) >= 3 && (d[0] == 'x' || d[0] == 'X') && d[1] == '\'' && d[len(d)-1] == '\'' {
		return "blob:" + strings.ToLower(d[2:len(d)-1]) // x'00FF' is x'00ff'
	}
	num := strings.TrimPrefix(strings.Join(strings.Fields(d), ""), "+") // the normal form spaces a sign
	if !isNumericLiteral(strings.TrimPrefix(num, "-")) || strings.HasPrefix(strings.ToLower(strings.TrimPrefix(num, "-")), "0x") {
		return ""
	}
	switch affinity(colType) {
	case "INTEGER", "REAL", "NUMERIC":
	default:
		return "text:" + num
	}
	if i, err := strconv.ParseInt(num, 10, 64); err == nil {
		return "int:" + strconv.FormatInt(i, 10)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return ""
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return "int:" + strconv.FormatInt(int64(f), 10)
	}
	return "real:" + strconv.FormatFloat(f, 'g', -1, 64)
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
		if f.BuiltIn {
			return rebuild
		}
		// The field type that keeps what the column holds, as dmplan
		// import would declare it.
		ft := fieldTypeFor(haveType)
		decl := "type = " + ft.String()
		if normType(haveType) != normType(ft.ColumnType()) {
			decl += fmt.Sprintf(", sql_type = %q", haveType)
		}
		return fmt.Sprintf("set %s on field %s to describe the column as it is; or %s", decl, f.Name, rebuild)
	}
	desc := fmt.Sprintf("set sql_type = %q on field %s to describe the column as it is", haveType, f.Name)
	if f.BuiltIn && !f.Primary {
		opt := builtinOption(f.Name)
		desc = fmt.Sprintf("turn option %s off and declare field %q { type = %s  sql_type = %q } to describe the column as it is", opt, f.Name, f.Type, haveType)
		if other := map[string]string{"created_at": "updated_at", "updated_at": "created_at"}[f.Name]; opt == "timestamps" && other != "" {
			desc = fmt.Sprintf("turn option timestamps off and declare field %q { type = %s  sql_type = %q } and field %q { type = timestamp } to describe the columns as they are (the runtime no longer sets created_at and updated_at then: your code does)", f.Name, f.Type, haveType, other)
		}
	} else if f.BuiltIn {
		desc = fmt.Sprintf("declare the key's field %q { type = %s  sql_type = %q } to describe the column as it is", f.Name, f.Type, haveType)
	}
	return desc + "; or " + rebuild
}

// fieldTypeFor is the field type whose values a column declared t holds
// as they are: by affinity, and for NUMERIC by the name (DATETIME,
// BOOLEAN, JSON).
func fieldTypeFor(t string) hclspec.FieldType {
	switch hclspec.Affinity(t) {
	case hclspec.AffinityInteger:
		return hclspec.Integer
	case hclspec.AffinityText:
		return hclspec.String
	case hclspec.AffinityReal:
		return hclspec.Number
	case hclspec.AffinityBlob:
		return hclspec.Blob
	}
	u := strings.ToUpper(t)
	switch {
	case strings.Contains(u, "BOOL"):
		return hclspec.Boolean
	case strings.Contains(u, "DATE"), strings.Contains(u, "TIME"):
		return hclspec.Timestamp
	case strings.Contains(u, "JSON"):
		return hclspec.JSON
	}
	return hclspec.Number
}

// sqlDefaultAttr writes a live DEFAULT as the sql_default that declares
// it: an expression goes back into the parentheses table_info drops.
func sqlDefaultAttr(d string) string {
	d = strings.TrimSpace(d)
	if d == "" {
		return `none: remove sql_default`
	}
	if !isConstantDefault(d) && (strings.Contains(d, "(") || strings.ContainsAny(d, " +*/|")) {
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
		hint := fmt.Sprintf("set unique = %t on field %s to describe the column as it is (a unique index block is what dmplan can add to an existing table); %s", have.Unique, want.Name, rebuildHint(t.Name))
		if ix := uniqueIndexOn(t, have.Name); want.Unique && ix != nil {
			// drizzle-kit's .unique() and Prisma's @unique are unique
			// indexes, which SQLite keeps apart from constraints.
			hint = fmt.Sprintf("column %s is unique through the index %s (CREATE UNIQUE INDEX), not a UNIQUE constraint: drop unique = true from field %s and declare the index in the d1 block, %s", target, ix.Name, want.Name, indexBlockFor(t.Name, ix))
		}
		d.block(m, target, CodeUniqueConstraintChange,
			fmt.Sprintf("field %s declares unique = %t but column %s %s a UNIQUE constraint", field, want.Unique, target, hasOrNot(have.Unique)),
			hint)
	}
	if want.Autoincrement != have.Autoincrement {
		d.block(m, target, CodeAutoincrementChange,
			fmt.Sprintf("field %s declares autoincrement = %t but key %s %s AUTOINCREMENT", field, want.Autoincrement, target, hasOrNot(have.Autoincrement)),
			fmt.Sprintf("set autoincrement = %t on field %s to describe the key as it is; %s", have.Autoincrement, want.Name, rebuildHint(t.Name)))
	}
	if !sameReference(want.References, have.References) {
		who := "field " + field + " declares"
		describe := fmt.Sprintf("%s on field %s", referenceAttr(have.References), want.Name)
		if d.fkFromBlock[strings.ToLower(want.Name)] {
			who = fmt.Sprintf("model %s declares foreign_key (%s)", m.Name, want.Name)
			describe = fmt.Sprintf("in the d1 block, %s", foreignKeyAttr([]string{want.Name}, have.References))
		}
		d.block(m, target, CodeForeignKeyChange,
			fmt.Sprintf("%s %s but column %s has %s", who, showReference(want.References), target, showReference(have.References)),
			fmt.Sprintf("%s to describe the column as it is; %s", describe, rebuildHint(t.Name)))
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
			fmt.Sprintf("%s in the d1 block to describe the table as it is; %s", foreignKeysAttr(have.ForeignKeys), rebuildHint(have.Name)))
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
	return "lacks"
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

// uniqueIndexOn returns a unique index of t over column col alone and
// every row, or nil.
func uniqueIndexOn(t *state.Table, col string) *state.Index {
	for _, ix := range t.Indexes {
		if ix.Unique && ix.Where == "" && len(ix.Columns) == 1 && strings.EqualFold(ix.Columns[0], col) && len(ix.Keys) == 0 {
			return ix
		}
	}
	return nil
}

// indexBlockFor is the index block that declares a plain live index of
// table: the label is the name without "<table>_", else the columns, with
// name = when the SQL name is not <table>_<label>.
func indexBlockFor(table string, ix *state.Index) string {
	label, named := strings.TrimPrefix(ix.Name, table+"_"), ""
	if label == ix.Name || !plainLabel(label) {
		label = strings.Join(ix.Columns, "_")
		named = fmt.Sprintf("  name = %q", ix.Name)
	}
	unique := ""
	if ix.Unique {
		unique = "  unique = true"
	}
	return fmt.Sprintf("index %q { columns = %s%s%s }", label, hclList(ix.Columns), unique, named)
}

// plainLabel reports whether s can be an index label: a plain identifier
// of at most 64 characters.
func plainLabel(s string) bool {
	if s == "" || len(s) > 64 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}

// foreignKeyAttr says how a d1 block declares the foreign key of columns
// cols, or that it declares none.
func foreignKeyAttr(cols []string, r *state.Reference) string {
	if r == nil {
		return fmt.Sprintf("remove the foreign_key block of columns %s", hclList(cols))
	}
	s := fmt.Sprintf("foreign_key { columns = %s  references = %q", hclList(cols), referenceText(state.Reference{Table: r.Table, Columns: r.Columns}))
	if r.OnDelete != "" {
		s += fmt.Sprintf("  on_delete = %q", strings.ToLower(r.OnDelete))
	}
	if r.OnUpdate != "" {
		s += fmt.Sprintf("  on_update = %q", strings.ToLower(r.OnUpdate))
	}
	return s + " }"
}

// foreignKeysAttr says how a d1 block declares a table's foreign keys.
func foreignKeysAttr(fks []state.ForeignKey) string {
	if len(fks) == 0 {
		return "remove the foreign_key blocks"
	}
	parts := make([]string, len(fks))
	for i, fk := range fks {
		parts[i] = foreignKeyAttr(fk.Columns, &fk.Reference)
	}
	what := "declare "
	if len(fks) > 1 {
		what = fmt.Sprintf("declare exactly these %d: ", len(fks))
	}
	return what + strings.Join(parts, ", ")
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
