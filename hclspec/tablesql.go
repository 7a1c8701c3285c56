package hclspec

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/internal/sqlnorm"
	"github.com/hashicorp/hcl/v2"
)

var foreignKeySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "columns", Required: true}, {Name: "references", Required: true},
		{Name: "on_delete"}, {Name: "on_update"},
	},
}

// columnAttrNames are the field attributes that declare a D1 column.
var columnAttrNames = []string{"sql_type", "sql_default", "check", "collate", "autoincrement", "unique", "references", "on_delete", "on_update"}

// checkKeyList checks the columns of primary_key = [...]: at least one,
// none twice.
func checkKeyList(model string, a *hcl.Attribute, items []stringItem, diags hcl.Diagnostics) ([]stringItem, hcl.Diagnostics) {
	if len(items) == 0 {
		return nil, append(diags, errorf(a.Expr.Range(), "Empty primary key",
			"List at least one key column of model %q.", model))
	}
	seen := map[string]hcl.Range{}
	var out []stringItem
	for _, it := range items {
		if prev, ok := seen[strings.ToLower(it.Value)]; ok {
			diags = append(diags, errorf(it.Range, "Duplicate key column",
				"The column %q is already listed at %s.", it.Value, prev.String()))
			continue
		}
		seen[strings.ToLower(it.Value)] = it.Range
		out = append(out, it)
	}
	return out, diags
}

// keyIndex returns the position of the column in the model's primary key,
// or -1.
func keyIndex(m *Model, name string) int {
	if len(m.PrimaryKeys) == 0 {
		if strings.EqualFold(name, m.PrimaryKey) {
			return 0
		}
		return -1
	}
	for i, k := range m.PrimaryKeys {
		if strings.EqualFold(name, k) {
			return i
		}
	}
	return -1
}

// checkKeyField checks a declared field that is a primary key column. A
// model with a KV side keys its objects by a string or an integer; a
// D1-only model's key columns may be any type but json and array. The key
// is always set, so it takes no default value.
func checkKeyField(m *Model, f *Field, attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a, ok := attrs["default"]; ok {
		diags = append(diags, errorf(a.Expr.Range(), "Default on a key column",
			"The primary key column %q takes no default value: the caller, the runtime or D1 (autoincrement) sets it.", f.Name))
	}
	switch {
	case f.Type == 0:
	case !m.D1Only() && f.Type != String && f.Type != Integer:
		diags = append(diags, errorf(attrs["type"].Expr.Range(), "Invalid key type",
			"The primary key %q of model %q, which has a KV side, must be string or integer: it forms the KV key.", f.Name, m.Name))
	case f.Type == JSON || f.Type == Array:
		diags = append(diags, errorf(attrs["type"].Expr.Range(), "Invalid key type",
			"A primary key column cannot be %s.", f.Type))
	}
	return diags
}

// checkColumnSQL checks the column attributes against the model: they
// apply to D1 columns only; autoincrement needs an INTEGER PRIMARY KEY in
// a rowid table; a STRICT table takes INT, INTEGER, REAL, TEXT, BLOB or
// ANY columns only.
func checkColumnSQL(m *Model, attrsOf map[*Field]hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, f := range m.Fields {
		attrs := attrsOf[f]
		if attrs == nil {
			continue
		}
		if !f.Synced {
			for _, n := range columnAttrNames {
				if a, ok := attrs[n]; ok {
					diags = append(diags, errorf(a.NameRange, "Column attribute on a field that is not a column",
						"The field %q is kept in KV only, so %q has nothing to apply to. Add the field to sync_fields, or remove %q.", f.Name, n, n))
				}
			}
			continue
		}
		if a, ok := attrs["autoincrement"]; ok && f.SQL.Autoincrement {
			switch {
			case !f.Primary || len(m.PrimaryKeys) > 0:
				diags = append(diags, errorf(a.Expr.Range(), "autoincrement on a column that is not the key",
					"SQLite allows AUTOINCREMENT only on the INTEGER PRIMARY KEY; %q is not model %q's single primary key.", f.Name, m.Name))
			case f.Type != Integer || !strings.EqualFold(f.DeclaredType(), "INTEGER"):
				diags = append(diags, errorf(a.Expr.Range(), "autoincrement on a column that is not INTEGER",
					"SQLite allows AUTOINCREMENT only on a column declared exactly INTEGER PRIMARY KEY; make %q type = integer without another sql_type.", f.Name))
			case m.D1.WithoutRowid:
				diags = append(diags, errorf(a.Expr.Range(), "autoincrement in a WITHOUT ROWID table",
					"SQLite does not allow AUTOINCREMENT in a WITHOUT ROWID table; remove one of the two."))
			case !m.D1Only():
				w := errorf(a.Expr.Range(), "autoincrement on a model with a KV side",
					"Model %q keeps its records in KV too, and the runtime writes the KV object (its key holds %q) before the D1 row, so D1 never assigns %q: every create must give it. For keys D1 assigns, make the model storage = \"d1\".", m.Name, f.Name, f.Name)
				w.Severity = hcl.DiagWarning
				diags = append(diags, w)
			}
		}
		if m.D1.Strict && !strictTypes[strings.ToUpper(f.DeclaredType())] {
			rng := f.DeclRange
			if a, ok := attrs["sql_type"]; ok {
				rng = a.Expr.Range()
			}
			diags = append(diags, errorf(rng, "Type not allowed in a STRICT table",
				"Table %q is STRICT, which accepts only the column types INT, INTEGER, REAL, TEXT, BLOB and ANY; field %q is %s.", m.D1.Table, f.Name, f.DeclaredType()))
		}
		if a, ok := attrs["check"]; ok && f.SQL.Check != "" {
			diags = append(diags, checkRefs(m, f.SQL.Check, a.Expr.Range())...)
		}
		if r := f.SQL.References; r != nil && len(r.Columns) > 1 {
			diags = append(diags, errorf(attrs["references"].Expr.Range(), "Reference to several columns",
				"A field references one column; declare a foreign_key block in the d1 block for a composite key."))
		}
	}
	return diags
}

// decodeTableSQL reads the table options and constraints of a d1 block:
// strict, without_rowid, checks, unique and foreign_key blocks.
func decodeTableSQL(m *Model, content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for name, dst := range map[string]*bool{"strict": &m.D1.Strict, "without_rowid": &m.D1.WithoutRowid} {
		if a, ok := content.Attributes[name]; ok {
			v, d := staticBool(a)
			diags = append(diags, d...)
			*dst = v
		}
	}
	if a, ok := content.Attributes["checks"]; ok {
		items, d := staticStringList(a)
		diags = append(diags, d...)
		for _, it := range items {
			if why := checkCheckExpr(it.Value); why != "" || strings.TrimSpace(it.Value) == "" {
				if why == "" {
					why = "it is empty"
				}
				diags = append(diags, errorf(it.Range, "Invalid check",
					"The CHECK expression cannot be used: %s.", why))
				continue
			}
			diags = append(diags, checkRefs(m, it.Value, it.Range)...)
			m.D1.Checks = append(m.D1.Checks, strings.TrimSpace(it.Value))
		}
	}
	if a, ok := content.Attributes["unique"]; ok {
		exprs, ld := hcl.ExprList(a.Expr)
		if ld.HasErrors() {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid value",
				"The argument \"unique\" must be a list of column lists, like [[\"org_id\", \"slug\"]]."))
		}
		for _, e := range exprs {
			items, d := staticStringList(&hcl.Attribute{Name: "unique", Expr: e, Range: e.Range(), NameRange: a.NameRange})
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			cols, cd := tableColumns(m, e.Range(), items, "UNIQUE constraint")
			diags = append(diags, cd...)
			if len(cols) > 0 {
				m.D1.Uniques = append(m.D1.Uniques, cols)
			}
		}
	}
	for _, blk := range content.Blocks {
		if blk.Type != "foreign_key" {
			continue
		}
		fk, d := decodeForeignKey(m, blk)
		diags = append(diags, d...)
		if fk != nil {
			m.D1.ForeignKeys = append(m.D1.ForeignKeys, *fk)
		}
	}
	return diags
}

// checkRefs warns about the names a CHECK expression refers to that are
// not columns of the model's table (SQLite would refuse the CREATE TABLE,
// unless the name is a generated column of a live table).
func checkRefs(m *Model, expr string, rng hcl.Range) hcl.Diagnostics {
	toks, ok := sqlnorm.Tokenize(expr)
	if !ok {
		return nil // checkSQLExpr reported it
	}
	var diags hcl.Diagnostics
	for _, ref := range sqlnorm.Refs(toks) {
		switch strings.ToLower(ref) {
		case "rowid", "oid", "_rowid_":
			continue
		}
		if f := m.Field(ref); f == nil || !f.Synced {
			if f = findField(m.Fields, ref); f != nil && f.Synced {
				continue // SQLite matches column names ignoring case
			}
			// A warning, not an error: the name may be a generated column
			// of the live table, which no field declares.
			w := errorf(rng, "Unknown column in check",
				"The CHECK expression refers to %q, which is not a field of model %q; SQLite refuses to create table %q with it unless it is a generated column.%s", ref, m.Name, m.D1.Table, fieldHint(m, ref))
			w.Severity = hcl.DiagWarning
			diags = append(diags, w)
		}
	}
	return diags
}

// tableColumns checks that a constraint's columns are columns of the
// model's table, none listed twice; it returns them when they all are.
func tableColumns(m *Model, rng hcl.Range, items []stringItem, what string) ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if len(items) == 0 {
		return nil, hcl.Diagnostics{errorf(rng, "Constraint without columns", "List at least one column of the %s.", what)}
	}
	seen := map[string]hcl.Range{}
	var cols []string
	for _, it := range items {
		if prev, ok := seen[strings.ToLower(it.Value)]; ok {
			diags = append(diags, errorf(it.Range, "Duplicate constraint column",
				"The column %q is already listed at %s.", it.Value, prev.String()))
			continue
		}
		seen[strings.ToLower(it.Value)] = it.Range
		f := m.Field(it.Value)
		switch {
		case f == nil:
			diags = append(diags, errorf(it.Range, "Unknown constraint column",
				"Model %q has no field named %q.%s", m.Name, it.Value, fieldHint(m, it.Value)))
		case !f.Synced:
			diags = append(diags, errorf(it.Range, "Constraint column not synced",
				"The field %q is not a D1 column of table %q; add it to sync_fields to use it in a %s.", it.Value, m.D1.Table, what))
		default:
			cols = append(cols, it.Value)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return cols, nil
}

func decodeForeignKey(m *Model, blk *hcl.Block) (*ForeignKey, hcl.Diagnostics) {
	content, diags := blk.Body.Content(foreignKeySchema)
	if content == nil || diags.HasErrors() {
		return nil, diags
	}
	fk := &ForeignKey{DeclRange: blk.DefRange}
	ok := true
	if a := content.Attributes["columns"]; a != nil {
		items, d := staticStringList(a)
		diags = append(diags, d...)
		cols, cd := tableColumns(m, a.Expr.Range(), items, "FOREIGN KEY constraint")
		diags = append(diags, cd...)
		fk.Columns = cols
		ok = ok && !d.HasErrors() && !cd.HasErrors()
	}
	if a := content.Attributes["references"]; a != nil {
		s, d := staticString(a)
		diags = append(diags, d...)
		if !d.HasErrors() {
			ref, why := parseReference(strings.TrimSpace(s))
			switch {
			case why != "":
				diags = append(diags, errorf(a.Expr.Range(), "Invalid references",
					"The reference %q cannot be used: %s. Write \"table\" (its primary key) or \"table(col1, col2)\".", s, why))
				ok = false
			case len(ref.Columns) > 0 && fk.Columns != nil && len(ref.Columns) != len(fk.Columns):
				diags = append(diags, errorf(a.Expr.Range(), "Foreign key column count",
					"The foreign key has %d columns but references %d.", len(fk.Columns), len(ref.Columns)))
				ok = false
			}
			fk.Reference = ref
		} else {
			ok = false
		}
	}
	for _, name := range []string{"on_delete", "on_update"} {
		a := content.Attributes[name]
		if a == nil {
			continue
		}
		s, d := staticString(a)
		diags = append(diags, d...)
		if d.HasErrors() {
			ok = false
			continue
		}
		act, valid := parseAction(s)
		if !valid {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid "+name, "The action must be one of %s.", actionNames))
			ok = false
			continue
		}
		if name == "on_delete" {
			fk.Reference.OnDelete = act
		} else {
			fk.Reference.OnUpdate = act
		}
	}
	if !ok {
		return nil, diags
	}
	return fk, diags
}

// String is the REFERENCES clause the reference stands for, without the
// word REFERENCES: users(id) ON DELETE CASCADE.
func (r Reference) String() string {
	var b strings.Builder
	b.WriteString(r.Table)
	if len(r.Columns) > 0 {
		fmt.Fprintf(&b, "(%s)", strings.Join(r.Columns, ", "))
	}
	if r.OnDelete != "" {
		b.WriteString(" ON DELETE " + r.OnDelete)
	}
	if r.OnUpdate != "" {
		b.WriteString(" ON UPDATE " + r.OnUpdate)
	}
	return b.String()
}
